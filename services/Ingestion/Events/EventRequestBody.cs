using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Ingestion.Normalization;
using Microsoft.AspNetCore.Http.Features;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>Reads an event API body (JSON, optionally gzip) within <see cref="IngestLimits.MaxBodyBytes"/>.</summary>
public static class EventRequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    /// <summary>The body of an event route, parsed (the caller disposes it): events are read from it without a JSON tree.</summary>
    public static async Task<JsonDocument> ReadDocumentAsync(HttpContext context, IngestLimits limits) =>
        ParseDocument((await ReadBytesAsync(context, limits)).WrittenSpan, "The request body");

    /// <summary>The body of an event update, as a JSON tree (an update is one small object, published as <c>EventUpdate</c>).</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpContext context, IngestLimits limits) =>
        ParseObject((await ReadBytesAsync(context, limits)).WrittenSpan, "The request body");

    private static async Task<ArrayBufferWriter<byte>> ReadBytesAsync(HttpContext context, IngestLimits limits)
    {
        var encoding = context.Request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (encoding is not ("" or "identity" or "gzip"))
            throw new ApiRequestException(StatusCodes.Status415UnsupportedMediaType, null, $"Content-Encoding '{encoding}' is not supported; send the JSON body plain or gzip-compressed.");
        if (context.Request.ContentLength > limits.MaxBodyBytes) throw TooLarge(limits);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limits.MaxBodyBytes;

        await using var source = encoding == "gzip"
            ? new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true)
            : context.Request.Body;
        var declared = context.Request.ContentLength;
        var buffer = new ArrayBufferWriter<byte>(declared is > 0 and < 1 << 20 ? (int)declared.Value : 16 * 1024);
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer.GetMemory(64 * 1024), context.RequestAborted);
                if (read == 0) break;
                buffer.Advance(read);
                // Counts decompressed bytes, so a small gzip bomb cannot blow up memory.
                if (buffer.WrittenCount > limits.MaxBodyBytes) throw TooLarge(limits);
            }
        }
        catch (InvalidDataException ex)
        {
            throw ApiRequestException.BadRequest(null, $"The gzip body is corrupt or truncated: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limits);
        }
        return buffer;
    }

    /// <summary>Parses JSON text that must be an object; <paramref name="what"/> names it in the error.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8, string what)
    {
        if (utf8.IsEmpty) throw ApiRequestException.BadRequest(null, $"{what} is empty; send a JSON object.");
        JsonNode? node;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
            node = JsonNode.Parse(ref reader);
        }
        catch (JsonException ex)
        {
            throw ApiRequestException.BadRequest(null, $"{what} is not valid JSON ({ex.Message}).");
        }
        return node as JsonObject ?? throw ApiRequestException.BadRequest(null, $"{what} must be a JSON object, not {EventNormalizer.Kind(node)}.");
    }

    /// <summary>
    /// Parses JSON text that must be an object into a pooled document (the caller disposes it), with the
    /// same reading and refusals as <see cref="ParseObject"/> (one value is read, so text after it is
    /// ignored), and one more: a property repeated in one object.
    /// </summary>
    public static JsonDocument ParseDocument(ReadOnlySpan<byte> utf8, string what)
    {
        if (utf8.IsEmpty) throw ApiRequestException.BadRequest(null, $"{what} is empty; send a JSON object.");
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw ApiRequestException.BadRequest(null, $"{what} is not valid JSON ({ex.Message}).");
        }
        var root = document.RootElement;
        var problem = root.ValueKind != JsonValueKind.Object ? $"{what} must be a JSON object, not {EventNormalizer.Kind(root)}."
            : RepeatedProperty(root) is { } name ? $"{what} has the property '{name}' twice in one object; send each property once."
            : null;
        if (problem is null) return document;
        document.Dispose();
        throw ApiRequestException.BadRequest(null, problem);
    }

    /// <summary>
    /// A property name that appears twice in one object, anywhere in the value. A JSON tree refused
    /// them (as a server error); the parsed document would keep both and publish them to readers that
    /// may refuse them, so the request is refused instead.
    /// </summary>
    private static string? RepeatedProperty(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (element.GetPropertyCount() > 1 && RepeatedName(element) is { } name) return name;
                foreach (var property in element.EnumerateObject())
                {
                    if (RepeatedProperty(property.Value) is { } nested) return nested;
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (RepeatedProperty(item) is { } nested) return nested;
                }
                return null;
            default:
                return null;
        }
    }

    private static string? RepeatedName(JsonElement obj)
    {
        // Few keys, none escaped (the usual object): compare the raw names, without making strings of them.
        var count = obj.GetPropertyCount();
        var simple = count <= 16;
        if (simple)
        {
            foreach (var property in obj.EnumerateObject()) simple &= !JsonMarshal.GetRawUtf8PropertyName(property).Contains((byte)'\\');
        }
        if (simple)
        {
            var i = 0;
            foreach (var property in obj.EnumerateObject())
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(property);
                var j = 0;
                foreach (var earlier in obj.EnumerateObject())
                {
                    if (j++ == i) break;
                    if (name.SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(earlier))) return property.Name;
                }
                i++;
            }
            return null;
        }
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            if (!seen.Add(property.Name)) return property.Name;
        }
        return null;
    }

    /// <summary>
    /// The legacy routes wrap an object under a key; HoneyHive's spec sends it as a JSON-encoded
    /// string and the TS SDK as an object: both are accepted. A string is parsed into
    /// <paramref name="parsed"/>, which the caller disposes once the object has been read.
    /// </summary>
    public static JsonElement Unwrap(JsonElement? value, string field, out JsonDocument? parsed)
    {
        parsed = null;
        switch (value?.ValueKind)
        {
            case JsonValueKind.Object:
                return value.Value;
            case JsonValueKind.String:
                parsed = ParseDocument(Encoding.UTF8.GetBytes(value.Value.GetString()!), $"'{field}' (a JSON-encoded string)");
                return parsed.RootElement;
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                throw ApiRequestException.BadRequest(field, $"'{field}' is required: an object, or a JSON-encoded object string.");
            default:
                throw ApiRequestException.BadRequest(field, $"'{field}' must be an object or a JSON-encoded object string, not {EventNormalizer.Kind(value.Value)}.");
        }
    }

    private static ApiRequestException TooLarge(IngestLimits limits) =>
        ApiRequestException.TooLarge(null, $"The request body exceeds {limits.MaxBodyBytes} bytes (after decompression); send fewer or smaller events per request.");
}
