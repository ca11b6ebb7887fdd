using HoneyHive.Ingestion.Normalization.Conventions;
using OpenTelemetry.Proto.Trace.V1;
using Resource = OpenTelemetry.Proto.Resource.V1.Resource;
using Scope = OpenTelemetry.Proto.Common.V1.InstrumentationScope;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>A span normalizes to an event (the caller writes and disposes it), or is rejected with a reason for partial_success.</summary>
public readonly record struct NormalizedSpan(SpanEvent? Event, string? Rejection);

/// <summary>
/// One OTLP span → one wide event. Routing keys first (ids, session, source, type), then each
/// convention's table takes the attributes it knows (HoneyHive's own last, so they win), then
/// whatever is left lands in metadata. The event is built from values that point at the request's
/// own strings and parsed JSON, and written once as the published JSON (no JSON tree per span).
/// </summary>
public static class SpanNormalizer
{
    private const string DefaultSource = "otlp";

    public static NormalizedSpan Normalize(Resource? resource, Scope? scope, Span span, Tenant tenant, IngestLimits limits)
    {
        if (span.TraceId.Length != 16 || IsZero(span.TraceId.Span)) return Reject(span, "trace_id must be 16 bytes and not all zero");
        if (span.SpanId.Length != 8 || IsZero(span.SpanId.Span)) return Reject(span, "span_id must be 8 bytes and not all zero");
        if (span.ParentSpanId.Length is not (0 or 8)) return Reject(span, "parent_span_id must be empty or 8 bytes");

        var truncation = new Truncation();
        var attributes = SpanAttributes.From(span.Attributes, limits, truncation);
        truncation.DroppedAttributes += (int)span.DroppedAttributesCount;
        var (eventType, spanKind) = EventTypeInference.Infer(attributes, span.Name);

        var sessionHint = attributes.TakeFirstString(
            "honeyhive.session_id", "honeyhive_session_id", "traceloop.association.properties.session_id", "session.id", "gen_ai.conversation.id");
        var sessionId = sessionHint is null ? EventIds.ForTrace(span.TraceId.Span) : EventIds.Normalize(sessionHint, tenant.ProjectId);
        var eventIdHint = attributes.TakeString("honeyhive_event_id");
        var parentHint = attributes.TakeString("honeyhive.parent_id");

        var record = new SpanEvent
        {
            EventId = eventIdHint is { Length: > 0 } ? EventIds.Normalize(eventIdHint, tenant.ProjectId) : EventIds.ForSpan(span.TraceId.Span, span.SpanId.Span),
            ProjectId = tenant.ProjectId,
            OrgId = tenant.OrgId,
            WorkspaceId = tenant.WorkspaceId,
            SessionId = sessionId,
            EventType = eventType,
            EventName = string.IsNullOrEmpty(span.Name) ? "unknown" : SafeKeys.Clean(span.Name, limits, truncation),
            Source = attributes.TakeFirstString("honeyhive.source", "honeyhive_source", "traceloop.association.properties.source") ?? DefaultSource,
            StartTime = span.StartTimeUnixNano / 1e6,
            EndTime = Math.Max(span.EndTimeUnixNano, span.StartTimeUnixNano) / 1e6,
            Duration = span.EndTimeUnixNano > span.StartTimeUnixNano ? (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1e6 : 0,
            SessionAutoCreate = attributes.TakeBool("honeyhive.session_auto_create") ?? false,
        };
        record.ParentId = eventType == "session" && parentHint is null && span.ParentSpanId.IsEmpty
            ? null
            : parentHint is { Length: > 0 } ? EventIds.Normalize(parentHint, tenant.ProjectId)
            : span.ParentSpanId.Length == 8 ? EventIds.ForSpan(span.TraceId.Span, span.ParentSpanId.Span)
            : sessionId;
        attributes.TakeString("honeyhive_event_type_raw");
        attributes.TakeString("honeyhive_event_type");
        attributes.TakeString("openinference.span.kind");

        MapRouting(attributes, record);
        GenAiAttributes.Apply(attributes, record);
        OpenInferenceAttributes.Apply(attributes, record);
        TraceloopAttributes.Apply(attributes, record);
        HoneyHiveAttributes.Apply(attributes, record);
        MapStatus(span, record);

        foreach (var (key, value) in attributes.Remaining) record.Metadata[key] = value;
        record.Metadata["span_kind"] = spanKind ?? span.Kind.ToString().Replace("SpanKind", "", StringComparison.Ordinal).ToLowerInvariant();
        record.Metadata["trace_id"] = Convert.ToHexStringLower(span.TraceId.Span);
        record.Metadata["span_id"] = Convert.ToHexStringLower(span.SpanId.Span);
        AddContext(resource, scope, span, record, limits, truncation);
        truncation.WriteTo(record.Metadata);
        return new NormalizedSpan(record, null);
    }

    /// <summary>Session name, project hint, user and experiment keys from HoneyHive and Traceloop routing attributes.</summary>
    private static void MapRouting(SpanAttributes attributes, SpanEvent record)
    {
        if (attributes.TakeFirstString("honeyhive.session_name", "honeyhive_session_name", "traceloop.association.properties.session_name") is { } sessionName)
        {
            record.Metadata["session_name"] = sessionName;
            if (record.EventType == "session") record.EventName = sessionName;
        }
        // The key decides the project; a project named in the payload is kept for reference only.
        if (attributes.TakeFirstString("honeyhive.project", "honeyhive_project", "traceloop.association.properties.project") is { } project)
            record.Metadata["project_name"] = project;
        if (attributes.TakeFirstString("traceloop.association.properties.user_id") is { } userId) record.UserProperties["user_id"] = userId;
        foreach (var key in new[] { "run_id", "dataset_id", "datapoint_id" })
        {
            if (attributes.TakeFirstString($"honeyhive.{key}", $"honeyhive_{key}", $"traceloop.association.properties.{key}") is { } value)
                record.Metadata[key] = value;
        }
        foreach (var key in new[] { "id", "name", "variant", "group" })
        {
            if (attributes.TakeString($"honeyhive.experiment_{key}") is { } value) record.Metadata[$"experiment_{key}"] = value;
        }
        if (attributes.TryTake("honeyhive.experiment_metadata", out var experimentMetadata))
            record.Metadata["experiment_metadata"] = Buckets.ParseIfJson(experimentMetadata, record);
        foreach (var (suffix, value) in attributes.TakePrefix("honeyhive.experiment_metadata."))
        {
            var bucket = EventJson.AsMutableObject(record.Metadata["experiment_metadata"]) ?? new EventObject();
            Buckets.SetPath(bucket, suffix, value);
            record.Metadata["experiment_metadata"] = bucket;
        }
    }

    private static void MapStatus(Span span, SpanEvent record)
    {
        var exception = span.Events.FirstOrDefault(e => e.Name == "exception");
        if (exception is not null)
        {
            var details = new EventObject();
            foreach (var kv in exception.Attributes)
            {
                if (kv.Key.StartsWith("exception.", StringComparison.Ordinal)) details[kv.Key["exception.".Length..]] = kv.Value?.StringValue;
            }
            record.Metadata["exception"] = details;
        }
        if (record.Error is null && span.Status?.Code == Status.Types.StatusCode.Error)
        {
            record.Error = span.Status.Message is { Length: > 0 } message ? message
                : exception?.Attributes.FirstOrDefault(a => a.Key == "exception.message")?.Value?.StringValue is { Length: > 0 } text ? text
                : "error";
        }
    }

    private static void AddContext(Resource? resource, Scope? scope, Span span, SpanEvent record, IngestLimits limits, Truncation truncation)
    {
        if (resource is { Attributes.Count: > 0 })
        {
            var resourceAttributes = SpanAttributes.From(resource.Attributes, limits, truncation);
            var bucket = new EventObject(resourceAttributes.Count);
            foreach (var (key, value) in resourceAttributes.Remaining) bucket[key] = value;
            record.Metadata["resource"] = bucket;
        }
        if (scope is { Name.Length: > 0 })
        {
            record.Metadata["scope"] = new EventObject { ["name"] = scope.Name, ["version"] = scope.Version };
        }
        var events = span.Events.Where(e => e.Name != "exception").Take(128).ToList();
        if (events.Count > 0)
        {
            record.Metadata["span_events"] = new EventArray(events.Select(e =>
            {
                var attributes = SpanAttributes.From(e.Attributes, limits, truncation);
                var eventAttributes = new EventObject(attributes.Count);
                foreach (var (key, value) in attributes.Remaining) eventAttributes[key] = value;
                return (object?)new EventObject { ["name"] = e.Name, ["time"] = e.TimeUnixNano / 1e6, ["attributes"] = eventAttributes };
            }).ToArray());
        }
        if (span.Links.Count > 0)
        {
            record.Metadata["links"] = new EventArray(span.Links.Take(128).Select(l => (object?)new EventObject
            {
                ["trace_id"] = Convert.ToHexStringLower(l.TraceId.Span),
                ["span_id"] = Convert.ToHexStringLower(l.SpanId.Span),
            }).ToArray());
        }
    }

    private static NormalizedSpan Reject(Span span, string reason) =>
        new(null, $"span '{AnyValueConverter.Clip(span.Name, 64)}': {reason}");

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
