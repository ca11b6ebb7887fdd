using System.Buffers;
using System.IO.Compression;
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

    public static async Task<JsonObject> ReadObjectAsync(HttpContext context, IngestLimits limits)
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
        return ParseObject(buffer.WrittenSpan, "The request body");
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
    /// The legacy routes wrap an object under a key; HoneyHive's spec sends it as a JSON-encoded
    /// string and the TS SDK as an object: both are accepted.
    /// </summary>
    public static JsonObject Unwrap(JsonNode? value, string field)
    {
        switch (value)
        {
            case JsonObject obj:
                return obj;
            case JsonValue v when v.TryGetValue<string>(out var text):
                var parsed = ParseObject(System.Text.Encoding.UTF8.GetBytes(text), $"'{field}' (a JSON-encoded string)");
                return parsed;
            case null:
                throw ApiRequestException.BadRequest(field, $"'{field}' is required: an object, or a JSON-encoded object string.");
            default:
                throw ApiRequestException.BadRequest(field, $"'{field}' must be an object or a JSON-encoded object string, not {EventNormalizer.Kind(value)}.");
        }
    }

    private static ApiRequestException TooLarge(IngestLimits limits) =>
        ApiRequestException.TooLarge(null, $"The request body exceeds {limits.MaxBodyBytes} bytes (after decompression); send fewer or smaller events per request.");
}
