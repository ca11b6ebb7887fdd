using System.Diagnostics.Metrics;
using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
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
        var updates = new Dictionary<string, SpanUpdate>(StringComparer.Ordinal);
        try
        {
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
                    if (!updates.TryGetValue(spanEventId, out var update)) updates[spanEventId] = update = new SpanUpdate(tenant.ProjectId, spanEventId);
                    var time = log.TimeUnixNano != 0 ? log.TimeUnixNano : log.ObservedTimeUnixNano;
                    for (var i = 0; i < normalized.Messages.Count; i++)
                    {
                        var message = normalized.Messages[i];
                        update.Add(
                            normalized.Messages.Count == 1 ? normalized.Key : $"{normalized.Key}.{i}",
                            message.IsChoice ? LogMessage.Choice : LogMessage.ChatHistory,
                            time,
                            // Records of one time keep their order in the request; a record's messages keep theirs.
                            seen * 1000 + Math.Min(i, 999),
                            message.Index,
                            message.Message,
                            i == 0 ? record : null);
                    }
                }
            }

            // Events first; the messages go to their own stream, where waiting for a span that arrives later holds up nothing else.
            await publisher.PublishAsync(tenant.ProjectId, events, cancellationToken);
            await publisher.PublishUpdatesAsync(updates.Values.Select(u => u.Finish()).ToList(), Topics.GenAiMessages, cancellationToken);
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
        finally
        {
            foreach (var update in updates.Values) update.Dispose();
        }
    }

    /// <summary>
    /// One span's <see cref="EventUpdateBatch"/> with its <see cref="LogMessage"/>s, written as the records are
    /// normalized (straight into JSON: no tree per message, and the orphan event is written once, in place).
    /// </summary>
    private sealed class SpanUpdate : IDisposable
    {
        private readonly ArrayPoolBufferWriter<byte> buffer = new(8 * 1024);
        private readonly Utf8JsonWriter writer;

        public SpanUpdate(string projectId, string eventId)
        {
            writer = new Utf8JsonWriter(buffer, EventJson.WriterOptions);
            writer.WriteStartObject();
            writer.WriteString("project_id", projectId);
            writer.WriteStartArray("updates");
            writer.WriteStartObject();
            writer.WriteString("event_id", eventId);
            writer.WriteStartArray("log_messages");
        }

        public void Add(string key, string target, ulong time, int sequence, int? index, EventObject message, SpanEvent? orphan)
        {
            writer.WriteStartObject();
            writer.WriteString("key", key);
            writer.WriteString("target", target);
            writer.WriteNumber("time", time);
            writer.WriteNumber("seq", sequence);
            if (index is { } i) writer.WriteNumber("index", i);
            writer.WritePropertyName("message");
            EventJson.WriteObject(writer, message);
            if (orphan is not null)
            {
                writer.WritePropertyName("orphan_event");
                orphan.WriteTo(writer);
            }
            writer.WriteEndObject();
        }

        /// <summary>The update's JSON (valid until disposed).</summary>
        public ReadOnlyMemory<byte> Finish()
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenMemory;
        }

        public void Dispose()
        {
            writer.Dispose();
            buffer.Dispose();
        }
    }
}
