using System.Globalization;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>A metric as the summaries group it: the evaluator's name on one kind of event.</summary>
public sealed record MetricKey(string Name, string EventName, string EventType)
{
    /// <summary>By metric name, then event type, then event name: the order the answers list metrics in.</summary>
    public static readonly IComparer<MetricKey> Order = Comparer<MetricKey>.Create((a, b) =>
    {
        var byName = string.CompareOrdinal(a.Name, b.Name);
        if (byName != 0) return byName;
        var byType = string.CompareOrdinal(a.EventType, b.EventType);
        return byType != 0 ? byType : string.CompareOrdinal(a.EventName, b.EventName);
    });
}

/// <summary>One numeric metric value of one event; booleans count as 1 and 0.</summary>
public sealed record MetricValue(RunEvent Event, string Datapoint, double Value, bool IsBoolean);

/// <summary>
/// Reads the metric values of a run's events. Only JSON numbers and booleans are metric values:
/// <c>&lt;name&gt;_explanation</c> strings and other text are not aggregated.
/// </summary>
public static class RunMetrics
{
    /// <summary>The values of the events the filters keep, grouped by metric, in event start order.</summary>
    public static SortedDictionary<MetricKey, List<MetricValue>> Collect(RunEventSet set)
    {
        var metrics = new SortedDictionary<MetricKey, List<MetricValue>>(MetricKey.Order);
        foreach (var e in set.Events)
        {
            if (!e.Matches) continue;
            foreach (var (name, text) in e.Metrics)
            {
                if (!TryRead(text, out var value, out var isBoolean)) continue;
                var key = new MetricKey(name, e.EventName, e.EventType);
                if (!metrics.TryGetValue(key, out var values)) metrics[key] = values = [];
                values.Add(new MetricValue(e, set.DatapointOf(e.SessionId), value, isBoolean));
            }
        }

        return metrics;
    }

    /// <summary>A metric's stored JSON text as a number: true/false as 1/0; false for anything else.</summary>
    public static bool TryRead(string json, out double value, out bool isBoolean)
    {
        var text = json.Trim();
        isBoolean = text is "true" or "false";
        if (isBoolean)
        {
            value = text == "true" ? 1 : 0;
            return true;
        }

        // JSON numbers start with a digit or '-'; this also keeps "NaN" and "Infinity" out.
        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] == '-')
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value))
            return true;
        value = 0;
        return false;
    }

    /// <summary>
    /// Whether a value passes: inside the run's passing range for the metric when one is set, a
    /// boolean metric when true, otherwise unknown (null): no threshold, no verdict.
    /// </summary>
    public static bool? Passed(Run run, MetricKey key, MetricValue value) =>
        run.PassingRanges.TryGetValue(key.Name, out var range) ? range.Passes(value.Value)
        : value.IsBoolean ? value.Value != 0
        : null;
}
