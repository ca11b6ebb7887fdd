using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// GET /v1/runs/{new}/compare/{old} (and the deprecated compare-with): per metric both runs'
/// aggregates, their difference and percentage change, and over the datapoints both runs ran
/// (matched by datapoint_id) which improved, degraded or stayed the same. A datapoint's value for
/// a metric is the mean of its values (usually one); higher is better. Also the common datapoints
/// and, per (event_name, event_type), whether it occurs in the old run, the new one, or both.
/// </summary>
public static class RunComparison
{
    public static JsonObject Build(Run newRun, RunEventSet newSet, Run oldRun, RunEventSet oldSet, string function)
    {
        var newMetrics = RunMetrics.Collect(newSet);
        var oldMetrics = RunMetrics.Collect(oldSet);
        var common = Datapoints(newSet).Intersect(Datapoints(oldSet), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);

        var metrics = new JsonArray();
        foreach (var key in newMetrics.Keys.Union(oldMetrics.Keys).Order(MetricKey.Order))
        {
            var newValues = newMetrics.GetValueOrDefault(key) ?? [];
            var oldValues = oldMetrics.GetValueOrDefault(key) ?? [];
            var json = new JsonObject { ["metric_name"] = key.Name, ["event_name"] = key.EventName, ["event_type"] = key.EventType };
            double? oldAggregate = oldValues.Count > 0 ? Aggregates.Compute(function, [.. oldValues.Select(v => v.Value)]) : null;
            double? newAggregate = newValues.Count > 0 ? Aggregates.Compute(function, [.. newValues.Select(v => v.Value)]) : null;
            if (oldAggregate is { } o) json["old_aggregate"] = o;
            if (newAggregate is { } n) json["new_aggregate"] = n;
            if (oldAggregate is { } before && newAggregate is { } after)
            {
                json["difference"] = after - before;
                if (before != 0) json["percentage_change"] = (after - before) / Math.Abs(before) * 100;
            }

            var oldByDatapoint = MeanByDatapoint(oldValues, common);
            var newByDatapoint = MeanByDatapoint(newValues, common);
            List<string> improved = [], degraded = [], same = [];
            foreach (var (datapoint, newValue) in newByDatapoint)
            {
                if (!oldByDatapoint.TryGetValue(datapoint, out var oldValue)) continue;
                (newValue > oldValue ? improved : newValue < oldValue ? degraded : same).Add(datapoint);
            }

            json["found_count"] = improved.Count + degraded.Count + same.Count;
            json["improved_count"] = improved.Count;
            json["degraded_count"] = degraded.Count;
            json["same_count"] = same.Count;
            json["improved"] = RunSummary.Strings(improved);
            json["degraded"] = RunSummary.Strings(degraded);
            json["same"] = RunSummary.Strings(same);
            json["old_values"] = new JsonArray([.. oldValues.Select(v => (JsonNode?)v.Value)]);
            json["new_values"] = new JsonArray([.. newValues.Select(v => (JsonNode?)v.Value)]);
            metrics.Add(json);
        }

        return new JsonObject
        {
            ["metrics"] = metrics,
            ["commonDatapoints"] = RunSummary.Strings(common),
            ["event_details"] = Presence(oldSet, newSet),
            ["old_run"] = oldRun.ToJson(),
            ["new_run"] = newRun.ToJson(),
        };
    }

    /// <summary>The datapoint ids a run ran (sessions without one cannot be matched across runs).</summary>
    public static HashSet<string> Datapoints(RunEventSet set) => set.Events
        .Where(e => e.Matches && set.SessionDatapoints.ContainsKey(e.SessionId))
        .Select(e => set.SessionDatapoints[e.SessionId])
        .ToHashSet(StringComparer.Ordinal);

    private static Dictionary<string, double> MeanByDatapoint(IEnumerable<MetricValue> values, IReadOnlySet<string> datapoints) =>
        values.Where(v => datapoints.Contains(v.Datapoint))
            .GroupBy(v => v.Datapoint, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Average(v => v.Value), StringComparer.Ordinal);

    private static JsonArray Presence(RunEventSet oldSet, RunEventSet newSet)
    {
        static HashSet<(string, string)> Kinds(RunEventSet set) =>
            set.Events.Where(e => e.Matches).Select(e => (e.EventName, e.EventType)).ToHashSet();
        var old = Kinds(oldSet);
        var recent = Kinds(newSet);
        return new JsonArray([.. old.Union(recent)
            .OrderBy(k => k.Item2, StringComparer.Ordinal).ThenBy(k => k.Item1, StringComparer.Ordinal)
            .Select(k => (JsonNode?)new JsonObject
            {
                ["event_name"] = k.Item1,
                ["event_type"] = k.Item2,
                ["presence"] = old.Contains(k) && recent.Contains(k) ? "both" : old.Contains(k) ? "old" : "new",
            })]);
    }
}
