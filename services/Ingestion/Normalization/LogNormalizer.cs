using System.Security.Cryptography;
using Google.Protobuf;
using HoneyHive.Ingestion.Normalization.Conventions;
using OpenTelemetry.Proto.Logs.V1;
using Resource = OpenTelemetry.Proto.Resource.V1.Resource;
using Scope = OpenTelemetry.Proto.Common.V1.InstrumentationScope;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// A normalized log record: its event (the caller writes and disposes it) and, for a GenAI event naming a
/// span, the messages it adds to that span's event (<see cref="SpanEventId"/>); then <see cref="Event"/> is
/// stored only if the span never arrives. Or a rejection reason for partial_success.
/// </summary>
public sealed record NormalizedLog(SpanEvent? Event, string? SpanEventId, List<GenAiLogMessage> Messages, string Key, string? Rejection);

/// <summary>
/// One OTLP log record → an event of its own (a child of its span when it names one: event_type tool;
/// with no span: chain, the root of a session of its own) with the body in outputs and severity and
/// attributes in metadata. GenAI events that name a span also yield the chat messages merged into that span's event.
/// Ids are hashes of the record's bytes, so a retried export makes the same event and the same messages.
/// </summary>
public static class LogNormalizer
{
    private const string DefaultSource = "otlp";

    public static NormalizedLog Normalize(Resource? resource, Scope? scope, LogRecord log, Tenant tenant, IngestLimits limits)
    {
        if (log.TraceId.Length is not (0 or 16)) return Reject(log, "trace_id must be empty or 16 bytes");
        if (log.SpanId.Length is not (0 or 8)) return Reject(log, "span_id must be empty or 8 bytes");
        var hasTrace = log.TraceId.Length == 16 && !IsZero(log.TraceId.Span);
        var hasSpan = hasTrace && log.SpanId.Length == 8 && !IsZero(log.SpanId.Span);

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(log.ToByteArray(), hash);
        var key = Convert.ToHexStringLower(hash[..8]);

        var truncation = new Truncation();
        var attributes = SpanAttributes.From(log.Attributes, limits, truncation);
        truncation.DroppedAttributes += (int)log.DroppedAttributesCount;
        var name = log.EventName is { Length: > 0 } eventName ? eventName : attributes.TakeString("event.name") ?? "";
        var body = AnyValueConverter.ToJson(log.Body, limits, truncation, "body");

        var eventId = EventIds.ForLogRecord(hash);
        var sessionHint = attributes.TakeFirstString("honeyhive.session_id", "honeyhive_session_id", "session.id", "gen_ai.conversation.id");
        var sessionId = sessionHint is not null ? EventIds.Normalize(sessionHint, tenant.ProjectId)
            : hasTrace ? EventIds.ForTrace(log.TraceId.Span)
            : eventId;
        var time = log.TimeUnixNano != 0 ? log.TimeUnixNano : log.ObservedTimeUnixNano;
        var spanEventId = hasSpan ? EventIds.ForSpan(log.TraceId.Span, log.SpanId.Span) : null;
        var record = new SpanEvent
        {
            EventId = eventId,
            ProjectId = tenant.ProjectId,
            OrgId = tenant.OrgId,
            WorkspaceId = tenant.WorkspaceId,
            SessionId = sessionId,
            ParentId = spanEventId ?? (sessionId == eventId ? null : sessionId),
            EventType = hasSpan ? "tool" : "chain",
            EventName = name.Length > 0 ? SafeKeys.Clean(name, limits, truncation) : "log",
            Source = attributes.TakeFirstString("honeyhive.source", "honeyhive_source") ?? DefaultSource,
            StartTime = time / 1e6,
            EndTime = time / 1e6,
            // A record with no trace and no session is the only event of its session: create that session.
            SessionAutoCreate = !hasTrace,
        };

        var messages = spanEventId is not null && GenAiLogEvents.IsGenAiEvent(name)
            ? GenAiLogEvents.Map(name, body, attributes, record)
            : [];

        if (EventJson.IsObject(body)) Buckets.Merge(record.Outputs, body, "body");
        else if (body is not null) record.Outputs["body"] = body;
        // Messages read from attributes (a text body) or from operation.details: kept with the record too, for
        // when it is stored as its own event.
        if (messages.Count > 0 && !EventJson.IsObject(body)) record.Outputs["messages"] = new EventArray(messages.Select(m => (object?)m.Message));
        if (log.SeverityNumber >= SeverityNumber.Error && EventJson.AsString(body) is { Length: > 0 } text) record.Error = text;

        foreach (var (attribute, value) in attributes.Remaining) record.Metadata[attribute] = value;
        if (log.SeverityText.Length > 0) record.Metadata["severity_text"] = log.SeverityText;
        if (log.SeverityNumber != SeverityNumber.Unspecified) record.Metadata["severity_number"] = (long)log.SeverityNumber;
        if (hasTrace) record.Metadata["trace_id"] = Convert.ToHexStringLower(log.TraceId.Span);
        if (hasSpan) record.Metadata["span_id"] = Convert.ToHexStringLower(log.SpanId.Span);
        record.Metadata["log_record_key"] = key;
        if (resource is { Attributes.Count: > 0 })
        {
            var resourceAttributes = SpanAttributes.From(resource.Attributes, limits, truncation);
            var bucket = new EventObject(resourceAttributes.Count);
            foreach (var (attribute, value) in resourceAttributes.Remaining) bucket[attribute] = value;
            record.Metadata["resource"] = bucket;
        }
        if (scope is { Name.Length: > 0 }) record.Metadata["scope"] = new EventObject { ["name"] = scope.Name, ["version"] = scope.Version };
        truncation.WriteTo(record.Metadata);
        return new NormalizedLog(record, messages.Count > 0 ? spanEventId : null, messages, key, null);
    }

    private static NormalizedLog Reject(LogRecord log, string reason) =>
        new(null, null, [], "", $"log record '{AnyValueConverter.Clip(log.EventName, 64)}': {reason}");

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
