namespace HoneyHive.Ingestion.Normalization.Conventions;

/// <summary>Traceloop / OpenLLMetry: traceloop.entity.*, traceloop.workflow.name, association properties.</summary>
public static class TraceloopAttributes
{
    public static void Apply(SpanAttributes attributes, SpanEvent record)
    {
        if (attributes.TakeString("traceloop.entity.name") is { Length: > 0 } name && record.EventName is "unknown" or "") record.EventName = name;
        if (attributes.TryTake("traceloop.entity.input", out var input)) Buckets.Merge(record.Inputs, Unwrap(Buckets.ParseIfJson(input, record), "inputs"), "input");
        if (attributes.TryTake("traceloop.entity.output", out var output)) Buckets.Merge(record.Outputs, Buckets.ParseIfJson(output, record), "output");
        if (attributes.TakeString("traceloop.entity.path") is { } path) record.Metadata["entity_path"] = path;
        if (attributes.TakeString("traceloop.entity.version") is { } version) record.Metadata["entity_version"] = version;
        if (attributes.TakeString("traceloop.workflow.name") is { } workflow) record.Metadata["workflow_name"] = workflow;
        if (attributes.TakeString("traceloop.span.kind") is { } kind) record.Metadata["traceloop_span_kind"] = kind;

        // Routing keys (session, source, project, experiment ids) were read by the normalizer already;
        // the remaining association properties are user context: keep them in metadata.
        foreach (var (key, value) in attributes.TakePrefix("traceloop.association.properties."))
        {
            record.Metadata[key] = value;
        }
    }

    /// <summary>Traceloop wraps function arguments as {"args": [...], "kwargs": {...}} or {"inputs": {...}}.</summary>
    private static object? Unwrap(object? value, string key)
    {
        if (!EventJson.IsObject(value)) return value;
        var properties = EventJson.Properties(value).Take(2).ToList();
        return properties is [var only] && only.Key == key && EventJson.IsObject(only.Value) ? EventJson.DeepClone(only.Value) : value;
    }
}
