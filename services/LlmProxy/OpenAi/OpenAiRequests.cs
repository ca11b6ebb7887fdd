using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.LlmProxy.OpenAi;

/// <summary>Reading and checking OpenAI request bodies; every refusal is a 400 (or 413) in OpenAI's error shape naming the field.</summary>
public static class OpenAiRequests
{
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        if (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
            throw new OpenAiErrorException(415, "invalid_request_error", $"Content-Type must be application/json, not {type}.", retryable: false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw OpenAiErrorException.Invalid(null, "The request body is empty: send a JSON object.");
        try
        {
            return JsonNode.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) as JsonObject
                ?? throw OpenAiErrorException.Invalid(null, "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw OpenAiErrorException.Invalid(null, $"The request body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The body of a proxy route, read and passed through <paramref name="check"/>; null when refused, the refusal
    /// already written in OpenAI's shape (the routes answer OpenAI's clients, which read no problem details).
    /// </summary>
    public static async Task<JsonObject?> ReadCheckedAsync(HttpContext context, long maxBytes, Action<JsonObject> check)
    {
        try
        {
            var body = await ReadObjectAsync(context.Request, maxBytes, context.RequestAborted);
            check(body);
            return body;
        }
        catch (OpenAiErrorException error)
        {
            await error.WriteAsync(context.Response, context.RequestAborted);
            return null;
        }
    }

    private static OpenAiErrorException TooLarge(long maxBytes) =>
        new(413, "invalid_request_error", $"The request body is larger than {maxBytes} bytes.", "request_too_large", retryable: false);

    public static string RequiredString(JsonObject body, string name)
    {
        if (body[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Trim().Length > 0) return text;
        throw OpenAiErrorException.Invalid(name, $"{name} is required and must be a non-empty string.");
    }

    public static bool OptionalBool(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return false;
        if (node is JsonValue value && value.TryGetValue<bool>(out var flag)) return flag;
        throw OpenAiErrorException.Invalid(name, $"{name} must be true or false.");
    }

    /// <summary>An integer field within [min, max], or null when absent.</summary>
    public static int? OptionalInt(JsonObject body, string name, int min, int max)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue value && value.TryGetValue<double>(out var number) && number == Math.Floor(number) && number >= min && number <= max)
            return (int)number;
        throw OpenAiErrorException.Invalid(name, $"{name} must be an integer from {min} to {max}.");
    }
}
