using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>
/// Reads and checks the JSON bodies of the dataset routes by hand rather than by model binding, so
/// that every refusal names the field it is about (model binding answers a bare 400), and so the
/// several shapes the spec and the SDK send (legacy and /v1) fit one reader.
/// </summary>
public static class JsonBody
{
    // Duplicate names are refused while parsing: JsonObject would otherwise throw on first access,
    // deep inside a handler, instead of answering 400.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = maxBytes;

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength.Value : 16 * 1024);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(64 * 1024), cancellationToken);
                if (read == 0) break;
                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes) throw TooLarge(maxBytes);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }

        if (buffer.WrittenCount == 0) throw ApiRequestException.BadRequest("body", "The request body is empty; send a JSON object.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(buffer.WrittenSpan, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw ApiRequestException.BadRequest("body", $"The request body is not valid JSON: {ex.Message}");
        }

        var body = node as JsonObject ?? throw ApiRequestException.BadRequest("body", "The request body must be a JSON object.");
        // PostgreSQL text and jsonb cannot hold U+0000, which JSON allows: refused here, before any statement runs.
        if (HoldsNul(body)) throw ApiRequestException.BadRequest("body", "The body holds a NUL character (\\u0000), which cannot be stored.");
        return body;
    }

    private static bool HoldsNul(JsonNode? node) => node switch
    {
        JsonObject obj => obj.Any(p => p.Key.Contains('\0', StringComparison.Ordinal) || HoldsNul(p.Value)),
        JsonArray array => array.Any(HoldsNul),
        JsonValue value => value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Contains('\0', StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>A string property: absent or null gives null; anything else but a string is refused.</summary>
    public static string? String(JsonObject body, string name, int maxLength, string? field = null)
    {
        var node = body[name];
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String) throw ApiRequestException.BadRequest(field ?? name, $"{name} must be a string.");
        var value = node.GetValue<string>();
        if (value.Length > maxLength) throw ApiRequestException.BadRequest(field ?? name, $"{name} is longer than {maxLength} characters.");
        return value;
    }

    public static bool? Boolean(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiRequestException.BadRequest(name, $"{name} must be true or false."),
        };
    }

    /// <summary>A JSON object property (inputs, ground_truth, metadata): absent or null gives null.</summary>
    public static JsonObject? Object(JsonObject body, string name, string? field = null)
    {
        var node = body[name];
        if (node is null) return null;
        return node as JsonObject ?? throw ApiRequestException.BadRequest(field ?? name, $"{name} must be a JSON object.");
    }

    /// <summary>An array of JSON objects (history, data rows): absent or null gives null.</summary>
    public static JsonArray? ObjectArray(JsonObject body, string name, int maxItems)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is not JsonArray array) throw ApiRequestException.BadRequest(name, $"{name} must be an array of JSON objects.");
        if (array.Count > maxItems) throw ApiRequestException.BadRequest(name, $"{name} holds more than {maxItems} items.");
        for (var i = 0; i < array.Count; i++)
            if (array[i] is not JsonObject) throw ApiRequestException.BadRequest($"{name}[{i}]", $"{name}[{i}] must be a JSON object.");
        return array;
    }

    /// <summary>An array of non-empty strings: absent or null gives null.</summary>
    public static List<string>? StringArray(JsonObject body, string name, int maxItems, string? field = null)
    {
        var node = body[name];
        if (node is null) return null;
        field ??= name;
        if (node is not JsonArray array) throw ApiRequestException.BadRequest(field, $"{field} must be an array of strings.");
        if (array.Count > maxItems) throw ApiRequestException.BadRequest(field, $"{field} holds more than {maxItems} items.");
        var values = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue value || value.GetValueKind() != JsonValueKind.String || value.GetValue<string>().Length == 0)
                throw ApiRequestException.BadRequest($"{field}[{i}]", $"{field}[{i}] must be a non-empty string.");
            values.Add(value.GetValue<string>());
        }

        return values;
    }

    /// <summary>Ids as the API writes them (UUIDs); a malformed one is a 400 naming its position.</summary>
    public static List<Guid>? IdArray(JsonObject body, string name, int maxItems) =>
        StringArray(body, name, maxItems)?.Select((id, i) => Id(id, $"{name}[{i}]")).ToList();

    public static Guid Id(string? value, string field) =>
        Guid.TryParse(value, out var id)
            ? id
            : throw ApiRequestException.BadRequest(field, value is null or "" ? $"{field} is required." : $"{field} is not a valid id.");

    /// <summary>Refuses a JSON value whose text exceeds <paramref name="maxBytes"/>.</summary>
    public static string Text(JsonNode node, string field, int maxBytes)
    {
        var text = node.ToJsonString();
        if (text.Length > maxBytes) // UTF-16 length is a lower bound of the UTF-8 length; exact check below only when close.
            throw ApiRequestException.BadRequest(field, $"{field} is larger than {maxBytes} bytes.");
        if (text.Length * 3L > maxBytes && System.Text.Encoding.UTF8.GetByteCount(text) > maxBytes)
            throw ApiRequestException.BadRequest(field, $"{field} is larger than {maxBytes} bytes.");
        return text;
    }

    private static ApiRequestException TooLarge(long maxBytes) =>
        ApiRequestException.TooLarge("body", $"The request body is larger than {maxBytes} bytes.");
}
