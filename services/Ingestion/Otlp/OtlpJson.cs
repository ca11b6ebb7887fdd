using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Ingestion.Otlp;

/// <summary>
/// The OTLP/JSON mapping: protobuf's JSON mapping except that trace and span ids are hex strings
/// (not base64), enums are integers and unknown fields are ignored.
/// </summary>
public static class OtlpJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithRecursionLimit(64));
    private static readonly string[] IdFields = ["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"];

    /// <exception cref="FormatException">The body is not OTLP JSON; the message says what is wrong.</exception>
    public static ExportTraceServiceRequest ParseRequest(System.Buffers.ReadOnlySequence<byte> utf8) =>
        // JSON is the rare encoding: a body that arrived in several buffers is joined for the parser.
        ParseRequest(utf8.IsSingleSegment ? utf8.FirstSpan : System.Buffers.BuffersExtensions.ToArray(utf8));

    public static ExportTraceServiceRequest ParseRequest(ReadOnlySpan<byte> utf8)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The body is not valid JSON: {ex.Message}", ex);
        }
        if (root is not JsonObject request) throw new FormatException("The body must be a JSON object with resourceSpans.");

        foreach (var resourceSpans in Array(request, "resourceSpans", "resource_spans"))
        foreach (var scopeSpans in Array(resourceSpans, "scopeSpans", "scope_spans"))
        foreach (var span in Array(scopeSpans, "spans"))
        {
            HexToBase64(span);
            foreach (var link in Array(span, "links")) HexToBase64(link);
        }

        try
        {
            return Parser.Parse<ExportTraceServiceRequest>(root.ToJsonString());
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException($"The body does not match the OTLP trace request: {ex.Message}", ex);
        }
        catch (InvalidJsonException ex)
        {
            throw new FormatException($"The body does not match the OTLP trace request: {ex.Message}", ex);
        }
    }

    public static string Format(IMessage message) => JsonFormatter.Default.Format(message);

    private static IEnumerable<JsonObject> Array(JsonObject parent, params string[] names)
    {
        foreach (var name in names)
        {
            if (parent[name] is JsonArray array) return array.OfType<JsonObject>();
        }
        return [];
    }

    private static void HexToBase64(JsonObject node)
    {
        foreach (var field in IdFields)
        {
            if (node[field] is not JsonValue value || !value.TryGetValue<string>(out var hex) || hex.Length == 0) continue;
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw new FormatException($"{field} '{(hex.Length > 40 ? hex[..40] + "…" : hex)}' is not a hex string (OTLP/JSON encodes ids as hex).");
            }
            node[field] = Convert.ToBase64String(bytes);
        }
    }
}
