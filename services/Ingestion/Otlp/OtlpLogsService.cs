using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace HoneyHive.Ingestion.Otlp;

/// <summary>
/// The one OTLP logs service behind both adapters (gRPC and HTTP). Every record becomes an event of its own,
/// except GenAI events that name a span: their messages are published as an update of that span's event
/// (one message per span, on <see cref="Topics.GenAiMessages"/>), so the Writer merges them into the span's
/// revision chain whichever arrives first. Refused records are reported in partial_success.
/// </summary>
public sealed class OtlpLogsService
{
    private readonly EventBatchPublisher publisher;
    private readonly IngestLimits limits;
    private readonly Counter<long> accepted;
    private readonly Counter<long> rejected;

    public OtlpLogsService(EventBatchPublisher publisher, IngestLimits limits, IMeterFactory meters)
    {
        this.publisher = publisher;
        this.limits = limits;
        var meter = meters.Create(ServiceDefaultsExtensions.TelemetryName);
        accepted = meter.CreateCounter<long>("honeyhive.ingestion.logs.accepted", "{record}", "Log records published to the event stream");
        rejected = meter.CreateCounter<long>("honeyhive.ingestion.logs.rejected", "{record}", "Log records refused and reported in partial_success");
    }

    public async Task<ExportLogsServiceResponse> ExportAsync(ExportLogsServiceRequest request, Tenant tenant, CancellationToken cancellationToken)
    {
        using var events = new EventJsonBatch();
        var updates = new Dictionary<string, List<LogMessage>>(StringComparer.Ordinal);
        long refused = 0;
        string? firstReason = null;
        var seen = 0;
        foreach (var resourceLogs in request.ResourceLogs)
        foreach (var scopeLogs in resourceLogs.ScopeLogs)
        foreach (var log in scopeLogs.LogRecords)
        {
            if (++seen > limits.MaxSpansPerRequest)
            {
                refused++;
                firstReason ??= $"the request has more than {limits.MaxSpansPerRequest} log records; send the rest in another request";
                continue;
            }
            var normalized = LogNormalizer.Normalize(resourceLogs.Resource, scopeLogs.Scope, log, tenant, limits);
            if (normalized.Event is not { } record)
            {
                refused++;
                firstReason ??= normalized.Rejection;
                continue;
            }

            using (record)
            {
                if (normalized.SpanEventId is not { } spanEventId)
                {
                    events.Add(record);
                    continue;
                }
                if (!updates.TryGetValue(spanEventId, out var messages)) updates[spanEventId] = messages = [];
                var time = log.TimeUnixNano != 0 ? log.TimeUnixNano : log.ObservedTimeUnixNano;
                for (var i = 0; i < normalized.Messages.Count; i++)
                {
                    var message = normalized.Messages[i];
                    messages.Add(new LogMessage
                    {
                        Key = normalized.Messages.Count == 1 ? normalized.Key : $"{normalized.Key}.{i}",
                        Target = message.IsChoice ? LogMessage.Choice : LogMessage.ChatHistory,
                        Time = time,
                        // Records of one time keep their order in the request; a record's messages keep theirs.
                        Sequence = seen * 1000 + Math.Min(i, 999),
                        Index = message.Index,
                        Message = ToNode(message.Message),
                        OrphanEvent = i == 0 ? ToNode(record) : null,
                    });
                }
            }
        }

        // Events first; the messages go to their own stream, where waiting for a span that arrives later holds up nothing else.
        await publisher.PublishAsync(tenant.ProjectId, events, cancellationToken);
        await publisher.PublishUpdatesAsync(tenant.ProjectId, updates.Select(u => new EventUpdate { EventId = u.Key, LogMessages = u.Value }).ToList(), Topics.GenAiMessages, cancellationToken);
        accepted.Add(seen - refused);

        var response = new ExportLogsServiceResponse();
        if (refused > 0)
        {
            rejected.Add(refused);
            response.PartialSuccess = new ExportLogsPartialSuccess
            {
                RejectedLogRecords = refused,
                ErrorMessage = $"{refused} log record(s) rejected; first: {firstReason}",
            };
        }
        return response;
    }

    private static JsonObject ToNode(EventObject message) =>
        JsonNode.Parse(EventJson.ToJsonString(message))!.AsObject();

    private static JsonObject ToNode(SpanEvent record)
    {
        using var buffer = new CommunityToolkit.HighPerformance.Buffers.ArrayPoolBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, EventJson.WriterOptions)) record.WriteTo(writer);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }
}
