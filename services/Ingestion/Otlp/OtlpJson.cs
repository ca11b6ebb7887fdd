using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Ingestion.Otlp;

/// <summary>
/// The OTLP/JSON mapping: protobuf's JSON mapping except that trace and span ids are hex strings
/// (not base64) in spans, links and log records, enums are integers and unknown fields are ignored.
/// </summary>
public static class OtlpJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithRecursionLimit(64));
    private static readonly string[] IdFields = ["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"];

    /// <exception cref="FormatException">The body is not OTLP JSON; the message says what is wrong.</exception>
    public static ExportTraceServiceRequest ParseTraces(ReadOnlySequence<byte> utf8) =>
        Parse<ExportTraceServiceRequest>(utf8, "resourceSpans", "trace", root =>
            from resourceSpans in Array(root, "resourceSpans", "resource_spans")
            from scopeSpans in Array(resourceSpans, "scopeSpans", "scope_spans")
            from span in Array(scopeSpans, "spans")
            from node in Array(span, "links").Prepend(span)
            select node);

    /// <exception cref="FormatException">The body is not OTLP JSON; the message says what is wrong.</exception>
    public static ExportLogsServiceRequest ParseLogs(ReadOnlySequence<byte> utf8) =>
        Parse<ExportLogsServiceRequest>(utf8, "resourceLogs", "logs", root =>
            from resourceLogs in Array(root, "resourceLogs", "resource_logs")
            from scopeLogs in Array(resourceLogs, "scopeLogs", "scope_logs")
            from log in Array(scopeLogs, "logRecords", "log_records")
            select log);

    /// <summary>Parses the JSON, turns the hex ids of the nodes <paramref name="withIds"/> yields into base64, then maps it onto the message.</summary>
    private static T Parse<T>(ReadOnlySequence<byte> utf8, string rootField, string signal, Func<JsonObject, IEnumerable<JsonObject>> withIds)
        where T : IMessage, new()
    {
        JsonNode? root;
        try
        {
            // JSON is the rare encoding: a body that arrived in several buffers is joined for the parser.
            root = utf8.IsSingleSegment
                ? JsonNode.Parse(utf8.FirstSpan, documentOptions: new JsonDocumentOptions { MaxDepth = 64 })
                : JsonNode.Parse(BuffersExtensions.ToArray(utf8), documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The body is not valid JSON: {ex.Message}", ex);
        }
        if (root is not JsonObject request) throw new FormatException($"The body must be a JSON object with {rootField}.");

        foreach (var node in withIds(request)) HexToBase64(node);

        try
        {
            return Parser.Parse<T>(root.ToJsonString());
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException($"The body does not match the OTLP {signal} request: {ex.Message}", ex);
        }
        catch (InvalidJsonException ex)
        {
            throw new FormatException($"The body does not match the OTLP {signal} request: {ex.Message}", ex);
        }
    }

    // The details a google.rpc.Status carries in our answers: an Any is written with its fields only when its type is known.
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(
        Google.Protobuf.Reflection.TypeRegistry.FromMessages(Google.Rpc.RetryInfo.Descriptor, Google.Rpc.ErrorInfo.Descriptor)));

    public static string Format(IMessage message) => Formatter.Format(message);

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
