using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Http;

/// <summary>
/// Reads a control-plane JSON body by hand rather than by model binding, so a refusal names its field and a
/// field the route does not take is refused (400 naming it) instead of being ignored: no body can set an id, an
/// org, an owner or a role where the route does not say it may (mass assignment).
/// </summary>
public static class RequestBody
{
    public const int MaxBytes = 64 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>The body as a JSON object holding only <paramref name="allowed"/> properties.</summary>
    public static async Task<JsonObject> ReadAsync(HttpRequest request, IReadOnlyCollection<string> allowed, CancellationToken cancellationToken)
    {
        var body = await ReadObjectAsync(request, MaxBytes, allowEmpty: false, cancellationToken);
        foreach (var (name, _) in body)
        {
            if (!allowed.Contains(name))
                throw ApiRequestException.BadRequest(name, $"{name} cannot be set by this request; it takes {string.Join(", ", allowed)}.");
        }
        return body;
    }

    /// <summary>
    /// The one way a control-plane route reads its body: at most <paramref name="maxBytes"/> (413 beyond, whatever
    /// Content-Length claims), one JSON object (400 naming <c>body</c> otherwise), no duplicate keys; an empty body is an
    /// empty object when <paramref name="allowEmpty"/>. Which properties a route takes is the caller's check.
    /// </summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, int maxBytes, bool allowEmpty, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) throw ApiRequestException.TooLarge("body", $"The request body is larger than {maxBytes} bytes.");
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw ApiRequestException.TooLarge("body", $"The request body is larger than {maxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
            return allowEmpty ? [] : throw ApiRequestException.BadRequest("body", "The request body is empty; send a JSON object.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(buffer.ToArray(), documentOptions: DocumentOptions);
        }
        catch (JsonException)
        {
            throw ApiRequestException.BadRequest("body", "The request body is not valid JSON.");
        }

        return node as JsonObject ?? throw ApiRequestException.BadRequest("body", "The request body must be a JSON object.");
    }

    /// <summary>A string property; absent or null gives null; a non-string, a NUL or more than <paramref name="maxLength"/> characters is refused.</summary>
    public static string? String(JsonObject body, string name, int maxLength)
    {
        var node = body[name];
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String) throw ApiRequestException.BadRequest(name, $"{name} must be a string.");
        var value = node.GetValue<string>();
        if (value.Length > maxLength) throw ApiRequestException.BadRequest(name, $"{name} must be at most {maxLength} characters.");
        // PostgreSQL text cannot hold U+0000.
        if (value.Contains('\0', StringComparison.Ordinal)) throw ApiRequestException.BadRequest(name, $"{name} holds a NUL character.");
        return value;
    }

    public static string RequiredString(JsonObject body, string name, int maxLength) =>
        String(body, name, maxLength) is { Length: > 0 } value ? value : throw ApiRequestException.BadRequest(name, $"{name} is required.");

    /// <summary>True when the body names <paramref name="name"/>, even as null (to tell "set to null" from "leave alone").</summary>
    public static bool Has(JsonObject body, string name) => body.ContainsKey(name);

    /// <summary>An array of non-empty strings; absent gives null.</summary>
    public static List<string>? StringArray(JsonObject body, string name, int maxItems, int maxLength)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is not JsonArray array) throw ApiRequestException.BadRequest(name, $"{name} must be an array of strings.");
        if (array.Count > maxItems) throw ApiRequestException.BadRequest(name, $"{name} holds more than {maxItems} items.");
        var values = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue value || value.GetValueKind() != JsonValueKind.String || value.GetValue<string>() is not { Length: > 0 } text || text.Length > maxLength)
                throw ApiRequestException.BadRequest($"{name}[{i}]", $"{name}[{i}] must be a non-empty string of at most {maxLength} characters.");
            values.Add(text);
        }
        return values;
    }

    /// <summary>An id from a route, query or body: a UUID, or 400 naming <paramref name="field"/>.</summary>
    public static Guid Id(string? value, string field) =>
        Guid.TryParse(value, out var id)
            ? id
            : throw ApiRequestException.BadRequest(field, value is null or "" ? $"{field} is required." : $"{field} is not a valid id.");

    /// <summary>A route id: a malformed one names nothing that exists, so it is 404 like a missing one.</summary>
    public static Guid RouteId(string value, string what) =>
        Guid.TryParse(value, out var id) ? id : throw ApiRequestException.NotFound(null, $"{what} not found.");
}
