using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// GET /v1/runs/{id}/metrics: the raw metric values per event (spec EventMetricData), events in
/// start order, only those with a numeric or boolean metric that the filters keep; paged.
/// </summary>
public static class RunMetricEvents
{
    public static JsonObject Build(RunEventSet set, int page, int limit)
    {
        var events = new List<JsonObject>();
        foreach (var e in set.Events.Where(e => e.Matches))
        {
            var metrics = new JsonObject();
            foreach (var (name, text) in e.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                if (!RunMetrics.TryRead(text, out var value, out var isBoolean)) continue;
                metrics[name] = isBoolean ? value != 0 : value;
            }

            if (metrics.Count == 0) continue;
            var metadata = new JsonObject();
            if (set.SessionDatapoints.TryGetValue(e.SessionId, out var datapoint)) metadata["datapoint_id"] = datapoint;
            events.Add(new JsonObject
            {
                ["event_id"] = e.EventId,
                ["event_name"] = e.EventName,
                ["event_type"] = e.EventType,
                ["session_id"] = e.SessionId,
                ["metadata"] = metadata,
                ["metrics"] = metrics,
            });
        }

        return new JsonObject
        {
            ["events"] = new JsonArray([.. events.Skip((page - 1) * limit).Take(limit)]),
            ["totalEvents"] = events.Count,
        };
    }
}
