namespace HoneyHive.Ingestion.Normalization.Conventions;

/// <summary>
/// HoneyHive's own span attributes (HONEYHIVE-DATA-MODEL.md): honeyhive_&lt;bucket&gt;.* map to the
/// bucket of that name, honeyhive_error/duration_ms/event_name to their fields. They win over
/// every other convention, so they are applied last.
/// </summary>
public static class HoneyHiveAttributes
{
    public static void Apply(SpanAttributes attributes, SpanEvent record)
    {
        MapBucket(attributes, record, "honeyhive_inputs.", record.Inputs);
        MapBucket(attributes, record, "honeyhive_outputs.", record.Outputs);
        MapBucket(attributes, record, "honeyhive_config.", record.Config);
        MapBucket(attributes, record, "honeyhive_metadata.", record.Metadata);
        MapBucket(attributes, record, "honeyhive_metrics.", record.Metrics);
        MapBucket(attributes, record, "honeyhive_feedback.", record.Feedback);
        MapBucket(attributes, record, "honeyhive_user_properties.", record.UserProperties);
        // Whole-bucket forms: honeyhive_inputs = "{...}".
        foreach (var (name, bucket) in new[]
                 {
                     ("honeyhive_inputs", record.Inputs), ("honeyhive_outputs", record.Outputs), ("honeyhive_config", record.Config),
                     ("honeyhive_metadata", record.Metadata), ("honeyhive_metrics", record.Metrics), ("honeyhive_feedback", record.Feedback),
                     ("honeyhive_user_properties", record.UserProperties),
                 })
        {
            if (attributes.TryTake(name, out var value)) Buckets.Merge(bucket, Buckets.ParseIfJson(value, record), "value");
        }

        if (attributes.TakeString("honeyhive_event_name") is { Length: > 0 } eventName) record.EventName = eventName;
        if (attributes.TakeString("honeyhive_error") is { Length: > 0 } error) record.Error = error;
        if (attributes.TakeString("honeyhive_error_type") is { Length: > 0 } errorType) record.Metadata["error_type"] = errorType;
        if (attributes.TakeNumber("honeyhive_duration_ms") is { } duration && double.IsFinite(duration) && duration >= 0) record.Duration = duration;
        if (attributes.TakeString("honeyhive_user_id") is { Length: > 0 } userId) record.UserProperties["user_id"] = userId;
    }

    private static void MapBucket(SpanAttributes attributes, SpanEvent record, string prefix, EventObject bucket)
    {
        var taken = attributes.TakePrefix(prefix);
        if (taken.Count == 0) return;
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, value) in taken)
        {
            // The TS SDK nests function arguments under _params_; the argument names are what users filter on.
            var key = path.StartsWith("_params_.", StringComparison.Ordinal) ? path["_params_.".Length..] : path;
            Buckets.SetPath(bucket, key, Buckets.ParseIfJson(value, record));
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            touched.Add(dot < 0 ? key : key[..dot]);
        }
        // Flattened lists ("tags.0", "tags.1") become arrays again; only what this prefix wrote.
        foreach (var key in touched)
        {
            var value = bucket[key];
            bucket.Remove(key);
            bucket[key] = Buckets.RestoreArrays(value);
        }
    }
}
