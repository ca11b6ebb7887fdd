using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.Platform.Security.Outbound;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>
/// Provider failures as <see cref="OpenAiErrorException"/>s: an error answer keeps the provider's message and the status an
/// OpenAI client expects (5xx from the provider is 502, an overloaded provider 503), with its retry-after; a
/// connection that fails is 502 and one that takes too long is 504. Every message names the provider, so a
/// caller can tell the proxy's refusals from the provider's.
/// </summary>
public static class UpstreamErrors
{
    /// <summary>Most of an error body kept in a message: enough to read, never a whole page.</summary>
    private const int MaxBodyChars = 2_000;

    public static async Task<OpenAiErrorException> FromResponseAsync(HttpResponseMessage response, string provider, CancellationToken cancellationToken)
    {
        var body = await ReadSomeAsync(response, cancellationToken);
        var (message, type, code) = Describe(body);
        var status = (int)response.StatusCode;
        return FromStatus(status, provider, message ?? (body.Length > 0 ? body : response.ReasonPhrase ?? "no detail"), type, code, RetryAfter(response));
    }

    /// <summary>An error for an upstream <paramref name="status"/>, with the proxy's own mapping of 5xx.</summary>
    public static OpenAiErrorException FromStatus(int status, string provider, string message, string? type = null, string? code = null, TimeSpan? retryAfter = null)
    {
        var mapped = status switch
        {
            503 or 529 => 503, // overloaded: the same call may succeed later
            >= 500 => 502,
            < 400 => 502, // a success status without a usable answer
            _ => status,
        };
        var openAiType = type is { Length: > 0 } && mapped < 500 ? type : OpenAiErrorException.TypeOf(mapped);
        return new OpenAiErrorException(mapped, openAiType, $"{provider}: {message}", code, retryAfter: retryAfter,
            retryable: status is 408 or 409 or 429 || status >= 500);
    }

    /// <summary>The failure of sending or reading, when it is not the caller's cancellation.</summary>
    public static OpenAiErrorException FromException(Exception exception, string provider) => exception switch
    {
        OpenAiErrorException error => error,
        // The SSRF guard's refusal, thrown at a redirect or (wrapped by the handler) at connect: retrying cannot help.
        OutboundAddressRefusedException refused => AddressRefused(refused, provider),
        HttpRequestException { InnerException: OutboundAddressRefusedException refused } => AddressRefused(refused, provider),
        TimeoutException or TaskCanceledException or OperationCanceledException =>
            new OpenAiErrorException(504, "timeout", $"{provider}: the provider did not answer in time.", retryable: true, inner: exception),
        HttpRequestException { InnerException: SocketException or IOException } or HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } =>
            new OpenAiErrorException(502, "api_error", $"{provider}: the provider could not be reached ({exception.Message}).", retryable: true, inner: exception),
        HttpRequestException or IOException =>
            new OpenAiErrorException(502, "api_error", $"{provider}: the connection to the provider failed ({exception.Message}).", retryable: true, inner: exception),
        JsonException =>
            new OpenAiErrorException(502, "api_error", $"{provider}: the provider's answer is not the JSON its API documents ({exception.Message}).", retryable: false, inner: exception),
        _ => new OpenAiErrorException(502, "api_error", $"{provider}: {exception.Message}", retryable: false, inner: exception),
    };

    private static OpenAiErrorException AddressRefused(OutboundAddressRefusedException refused, string provider) =>
        new(502, "api_error", $"{provider}: {refused.Message}", "upstream_address_refused", retryable: false, inner: refused);

    /// <summary>retry-after-ms (OpenAI, Azure), else retry-after in seconds or as an HTTP date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
            return TimeSpan.FromMilliseconds(milliseconds);
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta) return delta;
            if (retryAfter.Date is { } date) return date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>The message, type and code of the error bodies the providers document: OpenAI's and Gemini's <c>error</c>
    /// object, Anthropic's <c>{type: error, error}</c>, Bedrock's <c>{message}</c>.</summary>
    public static (string? Message, string? Type, string? Code) Describe(string body)
    {
        if (body.Length == 0 || body[0] is not ('{' or '[')) return (null, null, null);
        try
        {
            var node = JsonNode.Parse(body);
            if (node is JsonArray { Count: > 0 } array) node = array[0]; // Gemini wraps some errors in a list
            if (node is not JsonObject root) return (null, null, null);
            var error = root["error"] as JsonObject ?? root;
            var message = Text(error["message"]) ?? Text(root["message"]) ?? Text(root["Message"]);
            var type = Text(error["type"]);
            var code = Text(error["code"]) ?? Text(error["status"]);
            return (message, type is "error" ? null : type, code);
        }
        catch (JsonException)
        {
            return (null, null, null);
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<string>(out var text) ? text : value.ToJsonString()
        : null;

    private static async Task<string> ReadSomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream);
            var buffer = new char[MaxBodyChars];
            var read = await reader.ReadBlockAsync(buffer, cancellationToken);
            return new string(buffer, 0, read).Trim();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return "";
        }
    }
}
