using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// GET /v1/runs/{id}/summary (and the deprecated /result): the spec's GetExperimentRunResultResponse.
/// <list type="bullet">
/// <item>metrics.details: per metric (name × event name × event type) the aggregate of its values with the
/// requested function, the values, the passing range, and the datapoints that passed or failed it.</item>
/// <item>datapoints: per session of the run, its datapoint, its metric values with verdicts, and
/// whether it passed: a datapoint fails when any of its values fails a known threshold.</item>
/// <item>passed / failed: the datapoint ids (the session id for a run without datapoints) on each side.</item>
/// </list>
/// </summary>
public static class RunSummary
{
    public static JsonObject Build(Run run, RunEventSet set, string function)
    {
        var metrics = RunMetrics.Collect(set);
        var details = new JsonArray();
        foreach (var (key, values) in metrics)
        {
            var detail = new JsonObject
            {
                ["metric_name"] = key.Name,
                ["event_name"] = key.EventName,
                ["event_type"] = key.EventType,
                ["aggregate"] = Aggregates.Compute(function, [.. values.Select(v => v.Value)]),
                ["values"] = new JsonArray([.. values.Select(v => (JsonNode?)v.Value)]),
            };
            if (run.PassingRanges.TryGetValue(key.Name, out var range)) detail["passing_range"] = range.ToJson();
            var failedHere = values.Where(v => RunMetrics.Passed(run, key, v) == false).Select(v => v.Datapoint).ToHashSet(StringComparer.Ordinal);
            var passedHere = values.Where(v => RunMetrics.Passed(run, key, v) == true && !failedHere.Contains(v.Datapoint))
                .Select(v => v.Datapoint).ToHashSet(StringComparer.Ordinal);
            detail["datapoints"] = new JsonObject { ["passed"] = Strings(passedHere), ["failed"] = Strings(failedHere) };
            details.Add(detail);
        }

        // Every session the filters keep is a datapoint result, with or without metrics.
        var sessions = set.Events.Where(e => e.Matches).Select(e => e.SessionId).Distinct(StringComparer.Ordinal).ToList();
        var bySession = metrics.SelectMany(m => m.Value.Select(v => (Key: m.Key, Value: v)))
            .ToLookup(m => m.Value.Event.SessionId, StringComparer.Ordinal);
        var failedDatapoints = new HashSet<string>(StringComparer.Ordinal);
        var allDatapoints = new HashSet<string>(StringComparer.Ordinal);
        var datapoints = new List<(string Datapoint, string Session, JsonObject Json)>();
        foreach (var session in sessions)
        {
            var datapoint = set.DatapointOf(session);
            var sessionPassed = true;
            var sessionMetrics = new JsonArray();
            foreach (var (key, value) in bySession[session])
            {
                var metric = new JsonObject
                {
                    ["name"] = key.Name, ["event_name"] = key.EventName, ["event_type"] = key.EventType, ["value"] = value.Value,
                };
                if (RunMetrics.Passed(run, key, value) is { } passed)
                {
                    metric["passed"] = passed;
                    sessionPassed &= passed;
                }

                sessionMetrics.Add(metric);
            }

            var json = new JsonObject();
            if (set.SessionDatapoints.TryGetValue(session, out var dp) && dp.Length > 0) json["datapoint_id"] = dp;
            json["session_id"] = session;
            json["passed"] = sessionPassed;
            json["metrics"] = sessionMetrics;
            datapoints.Add((datapoint, session, json));
            allDatapoints.Add(datapoint);
            if (!sessionPassed) failedDatapoints.Add(datapoint);
        }

        return new JsonObject
        {
            ["status"] = run.Status,
            ["success"] = true,
            ["passed"] = Strings(allDatapoints.Where(d => !failedDatapoints.Contains(d))),
            ["failed"] = Strings(failedDatapoints),
            ["metrics"] = new JsonObject { ["aggregation_function"] = function, ["details"] = details },
            ["datapoints"] = new JsonArray([.. datapoints
                .OrderBy(d => d.Datapoint, StringComparer.Ordinal).ThenBy(d => d.Session, StringComparer.Ordinal)
                .Select(d => (JsonNode?)d.Json)]),
            ["event_details"] = EventDetails(set),
            ["run_object"] = run.ToJson(),
        };
    }

    /// <summary>The distinct (event_name, event_type) of the events the filters keep.</summary>
    public static JsonArray EventDetails(RunEventSet set) => new([.. set.Events.Where(e => e.Matches)
        .Select(e => (e.EventName, e.EventType)).Distinct()
        .OrderBy(e => e.EventType, StringComparer.Ordinal).ThenBy(e => e.EventName, StringComparer.Ordinal)
        .Select(e => (JsonNode?)new JsonObject { ["event_name"] = e.EventName, ["event_type"] = e.EventType })]);

    public static JsonArray Strings(IEnumerable<string> values) =>
        new([.. values.Order(StringComparer.Ordinal).Select(v => (JsonNode?)v)]);
}
