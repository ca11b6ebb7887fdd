using System.Text.Json;
using HoneyHive.Contracts.Alerts;
using HoneyHive.DataPlane.Api.Queries;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>
/// Judges an AGGREGATE or DRIFT alert over ClickHouse with the chart's SQL (<see cref="ChartQueries.AggregateAsync"/>:
/// the project in the WHERE, the filters through FilterCompiler). AGGREGATE: the aggregate over the trailing window
/// <see cref="AlertNames.Window"/> ending now. DRIFT: that window's aggregate against the window before it,
/// drift_percentage = (current − baseline) / |baseline| × 100, which the thresholds apply to.
/// </summary>
public sealed class WindowEvaluator(ChartQueries charts)
{
    public async Task<AlertJudgement> JudgeAsync(AlertDefinition alert, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var project = Guid.Parse(alert.ProjectId);
        var filters = alert.EventFilters.Deserialize<List<EventFilter>>() ?? [];
        var window = AlertNames.Window(alert.Frequency);
        var start = now - window;
        var (current, count) = await charts.AggregateAsync(project, filters, alert.Metric, alert.Aggregation, start, now, cancellationToken);
        var enough = count > 0 && count >= alert.MinimumSampleSize;

        if (alert.AlertType != AlertNames.Drift)
        {
            var result = new AlertResult(current, null, null, count, start, now, alert.Thresholds, alert.Aggregation);
            return new AlertJudgement(result, enough ? current : null);
        }

        var (baseline, baselineCount) = await charts.AggregateAsync(project, filters, alert.Metric, alert.Aggregation, start - window, start, cancellationToken);
        // A drift from nothing (no baseline events, or a baseline of 0) has no percentage: not judged.
        double? drift = current is { } c && baseline is { } b && b != 0 && baselineCount > 0 ? (c - b) / Math.Abs(b) * 100 : null;
        var driftResult = new AlertResult(current, baseline, drift, count, start, now, alert.Thresholds, alert.Aggregation);
        return new AlertJudgement(driftResult, enough ? drift : null);
    }
}
