using System.Globalization;
using HoneyHive.Contracts.Alerts;

namespace HoneyHive.DataPlane.Tests.Alerts;

/// <summary>
/// AGGREGATE and DRIFT alerts evaluated by the scheduler over events in chDB, with the chart's SQL. "Now" is a clock of
/// the test's own, far from every other test's events; each test has a project of its own.
/// </summary>
[Collection(AlertCollection.Name)]
public sealed class ScheduledAlertTests(AlertHarness harness)
{
    private static readonly DateTimeOffset Now = new(2027, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>metrics.score 1..10 inside the last hour, plus two events outside it (before the window, and one without a score).</summary>
    private async Task<Guid> ProjectWithScoresAsync()
    {
        var project = await harness.ProjectAsync();
        var events = Enumerable.Range(1, 10).Select(i => (Now.AddMinutes(-50 + i), (double?)i)).ToList();
        events.Add((Now.AddHours(-2), 1000));
        events.Add((Now.AddMinutes(-5), null));
        await harness.EventsAsync(project, events);
        return project;
    }

    [Theory]
    [InlineData("AVERAGE", 5.5)]
    [InlineData("COUNT", 11)]
    [InlineData("SUM", 55)]
    [InlineData("MIN", 1)]
    [InlineData("MAX", 10)]
    [InlineData("MEDIAN", 5.5)]
    [InlineData("P90", 9.1)]
    [InlineData("P95", 9.55)]
    [InlineData("P99", 9.91)]
    public async Task Each_aggregation_is_computed_over_the_trailing_window_and_fires_when_it_crosses(string aggregation, double expected)
    {
        var project = await ProjectWithScoresAsync();
        var crossing = await harness.AlertAsync(AlertHarness.Definition(project, aggregation: aggregation,
            thresholds: AlertHarness.Thresholds(critical: expected - 0.001, resolved: 0)));
        var holding = await harness.AlertAsync(AlertHarness.Definition(project, aggregation: aggregation,
            thresholds: AlertHarness.Thresholds(critical: expected + 0.001, resolved: 0)));

        var evaluated = await harness.Scheduler(new ManualClock(Now)).RunDueAsync(CancellationToken.None);

        Assert.True(evaluated >= 2, $"evaluated {evaluated}");
        var fired = Assert.Single(await harness.TransitionsAsync(crossing));
        Assert.Equal((AlertNames.StageOk, AlertNames.StageCritical), (fired.From, fired.To));
        var score = fired.Result["current_bucket_score"]!.GetValue<double>();
        Assert.True(Math.Abs(score - expected) < 1e-6, $"{aggregation}: {score.ToString(CultureInfo.InvariantCulture)}, expected {expected.ToString(CultureInfo.InvariantCulture)}");
        // COUNT counts every matching event; the others only those with the metric.
        Assert.Equal(aggregation == "COUNT" ? 11 : 10, fired.Result["sample_size"]!.GetValue<long>());
        Assert.Empty(await harness.TransitionsAsync(holding));
        Assert.Equal(AlertNames.StageOk, (await harness.StateAsync(holding))!.Value.Stage);
    }

    [Fact]
    public async Task Another_projects_events_never_count()
    {
        var project = await harness.ProjectAsync();
        var other = await harness.ProjectAsync();
        await harness.EventsAsync(other, [(Now.AddMinutes(-10), 1000), (Now.AddMinutes(-9), 1000)]);
        var alert = await harness.AlertAsync(AlertHarness.Definition(project, aggregation: "MAX"));
        var counting = await harness.AlertAsync(AlertHarness.Definition(project, aggregation: "COUNT", thresholds: AlertHarness.Thresholds(critical: 0, resolved: -1)));

        await harness.Scheduler(new ManualClock(Now)).RunDueAsync(CancellationToken.None);

        Assert.Empty(await harness.TransitionsAsync(alert));
        Assert.Equal(0, (await harness.StateAsync(alert))!.Value.LastResult!["sample_size"]!.GetValue<long>());
        Assert.Empty(await harness.TransitionsAsync(counting));
        Assert.Equal(0, (await harness.StateAsync(counting))!.Value.LastResult!["sample_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Drift_compares_the_window_with_the_one_before_it()
    {
        var project = await harness.ProjectAsync();
        // Baseline hour: average 10; current hour: average 15, a drift of +50 %.
        await harness.EventsAsync(project, [(Now.AddMinutes(-90), 8), (Now.AddMinutes(-80), 12), (Now.AddMinutes(-30), 14), (Now.AddMinutes(-20), 16)]);
        var fires = await harness.AlertAsync(AlertHarness.Definition(project, type: AlertNames.Drift, thresholds: AlertHarness.Thresholds(critical: 40, resolved: 10)));
        var holds = await harness.AlertAsync(AlertHarness.Definition(project, type: AlertNames.Drift, thresholds: AlertHarness.Thresholds(critical: 60, resolved: 10)));

        await harness.Scheduler(new ManualClock(Now)).RunDueAsync(CancellationToken.None);

        var fired = Assert.Single(await harness.TransitionsAsync(fires));
        Assert.Equal(AlertNames.StageCritical, fired.To);
        Assert.Equal(15, fired.Result["current_bucket_score"]!.GetValue<double>(), 6);
        Assert.Equal(10, fired.Result["previous_bucket_score"]!.GetValue<double>(), 6);
        Assert.Equal(50, fired.Result["drift_percentage"]!.GetValue<double>(), 6);
        Assert.Empty(await harness.TransitionsAsync(holds));
        Assert.Equal(50, (await harness.StateAsync(holds))!.Value.LastResult!["drift_percentage"]!.GetValue<double>(), 6);
    }

    [Fact]
    public async Task A_window_below_the_minimum_sample_size_is_not_judged_but_its_run_is_recorded()
    {
        var project = await harness.ProjectAsync();
        await harness.EventsAsync(project, [(Now.AddMinutes(-10), 100), (Now.AddMinutes(-9), 100), (Now.AddMinutes(-8), 100)]);
        var small = await harness.AlertAsync(AlertHarness.Definition(project, minimumSampleSize: 4));
        var enough = await harness.AlertAsync(AlertHarness.Definition(project, minimumSampleSize: 3));

        await harness.Scheduler(new ManualClock(Now)).RunDueAsync(CancellationToken.None);

        Assert.Empty(await harness.TransitionsAsync(small));
        var state = (await harness.StateAsync(small))!.Value;
        Assert.Equal(AlertNames.StageOk, state.Stage);
        Assert.NotNull(state.LastRunAt);
        Assert.Equal(3, state.LastResult!["sample_size"]!.GetValue<long>());
        Assert.Equal(AlertNames.StageCritical, Assert.Single(await harness.TransitionsAsync(enough)).To);
    }

    [Fact]
    public async Task A_paused_alert_is_not_evaluated_and_a_run_is_not_repeated_before_it_is_due()
    {
        var project = await harness.ProjectAsync();
        await harness.EventsAsync(project, [(Now.AddMinutes(-10), 100)]);
        var paused = await harness.AlertAsync(AlertHarness.Definition(project, status: AlertNames.Paused));
        var active = await harness.AlertAsync(AlertHarness.Definition(project));
        var clock = new ManualClock(Now);
        var scheduler = harness.Scheduler(clock);

        await scheduler.RunDueAsync(CancellationToken.None);
        var firstRun = (await harness.StateAsync(active))!.Value.LastRunAt;
        var again = await scheduler.RunDueAsync(CancellationToken.None);

        Assert.Null(await harness.StateAsync(paused));
        Assert.Empty(await harness.TransitionsAsync(paused));
        Assert.NotNull(firstRun);
        Assert.Equal(0, again);
        Assert.Equal(firstRun, (await harness.StateAsync(active))!.Value.LastRunAt);
    }

    [Fact]
    public async Task A_failing_query_is_recorded_as_the_runs_error_and_keeps_the_stage()
    {
        var project = await harness.ProjectAsync();
        // project_id is refused as a filter field (every query is scoped to the alert's project already).
        var broken = await harness.AlertAsync(AlertHarness.Definition(project,
            filters: [new System.Text.Json.Nodes.JsonObject { ["field"] = "project_id", ["operator"] = "is", ["value"] = Guid.NewGuid().ToString(), ["type"] = "string" }]));

        await harness.Scheduler(new ManualClock(Now)).RunDueAsync(CancellationToken.None);

        var state = (await harness.StateAsync(broken))!.Value;
        Assert.Equal(AlertNames.StageOk, state.Stage);
        Assert.Contains("project_id", state.LastError, StringComparison.Ordinal);
        Assert.Empty(await harness.TransitionsAsync(broken));
    }
}
