using HoneyHive.Contracts.Alerts;
using HoneyHive.DataPlane.Api.Alerts;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.DataPlane.Tests.Alerts;

/// <summary>
/// The state machine as the recorder applies it in dpdb, fed values directly (what the scheduler or the per-event
/// consumer would judge), and the outbox that publishes its transitions on the real JetStream.
/// </summary>
[Collection(AlertCollection.Name)]
public sealed class AlertStateTests(AlertHarness harness)
{
    private static readonly DateTimeOffset Start = new(2027, 7, 1, 0, 0, 0, TimeSpan.Zero);

    private static Func<AlertDefinition, CancellationToken, Task<IReadOnlyList<AlertJudgement>>> Values(params double[] values) =>
        (alert, _) => Task.FromResult<IReadOnlyList<AlertJudgement>>([.. values.Select(v =>
            new AlertJudgement(new AlertResult(v, null, null, 1, null, null, alert.Thresholds, alert.Aggregation), v))]);

    [Fact]
    public async Task A_stage_fires_once_escalates_never_steps_back_and_resolves_once_after_the_recovery_window()
    {
        var project = await harness.ProjectAsync();
        // Warning above 50, critical above 80, resolved below 30 held for a minute.
        var alert = await harness.AlertAsync(AlertHarness.Definition(project,
            thresholds: AlertHarness.Thresholds(critical: 80, resolved: 30, warning: 50), recoverySeconds: 60));
        var clock = new ManualClock(Start);
        var recorder = harness.Recorder(clock);
        async Task JudgeAsync(params double[] values) => await recorder.EvaluateAsync(alert, null, Values(values), CancellationToken.None);

        await JudgeAsync(60, 65, 55);          // WARNING once
        // Time passes between evaluations, as it does: two changes at one instant would have no order to read back.
        clock.Advance(TimeSpan.FromSeconds(1));
        await JudgeAsync(90, 95);              // escalates to CRITICAL once
        await JudgeAsync(60, 40);              // no step back to WARNING; 40 is inside the band
        await JudgeAsync(20);                  // recovery starts
        clock.Advance(TimeSpan.FromSeconds(50));
        await JudgeAsync(40);                  // back in the band: the recovery window starts over
        await JudgeAsync(20);
        clock.Advance(TimeSpan.FromSeconds(59));
        await JudgeAsync(20);                  // 59 s: not yet
        Assert.Equal(AlertNames.StageCritical, (await harness.StateAsync(alert))!.Value.Stage);
        clock.Advance(TimeSpan.FromSeconds(1));
        await JudgeAsync(20);                  // 60 s: resolved
        await JudgeAsync(10, 25);              // stays resolved, nothing more

        var transitions = await harness.TransitionsAsync(alert);
        Assert.Equal(
            [(AlertNames.StageOk, AlertNames.StageWarning), (AlertNames.StageWarning, AlertNames.StageCritical), (AlertNames.StageCritical, AlertNames.StageOk)],
            transitions.Select(t => (t.From, t.To)));
        Assert.All(transitions, t => Assert.False(t.Muted));
        Assert.Equal(AlertNames.StageOk, (await harness.StateAsync(alert))!.Value.Stage);
    }

    [Fact]
    public async Task A_value_hovering_at_the_threshold_does_not_flap()
    {
        var project = await harness.ProjectAsync();
        var alert = await harness.AlertAsync(AlertHarness.Definition(project, thresholds: AlertHarness.Thresholds(critical: 80, resolved: 30)));
        var recorder = harness.Recorder(new ManualClock(Start));

        foreach (var value in new double[] { 81, 79, 81, 79, 80.5, 31, 81 })
            await recorder.EvaluateAsync(alert, null, Values(value), CancellationToken.None);

        var fired = Assert.Single(await harness.TransitionsAsync(alert));
        Assert.Equal(AlertNames.StageCritical, fired.To);
    }

    [Fact]
    public async Task A_muted_alert_records_its_transitions_and_publishes_nothing()
    {
        var project = await harness.ProjectAsync();
        var clock = new ManualClock(Start);
        var alert = await harness.AlertAsync(AlertHarness.Definition(project, mutedUntil: Start.AddHours(1)));

        await harness.Recorder(clock).EvaluateAsync(alert, null, Values(100), CancellationToken.None);
        // The outbox is this dpdb's, shared with other tests: it drains until nothing publishable is left.
        var outbox = harness.Outbox(clock);
        while (await outbox.PublishPendingAsync(CancellationToken.None) > 0)
        {
        }

        var recorded = Assert.Single(await harness.TransitionsAsync(alert));
        Assert.True(recorded.Muted);
        Assert.Null(recorded.PublishedAt);
        Assert.Empty(await AlertHarness.PublishedAsync(alert));
    }

    [Fact]
    public async Task A_paused_alert_is_not_evaluated()
    {
        var project = await harness.ProjectAsync();
        var alert = await harness.AlertAsync(AlertHarness.Definition(project, status: AlertNames.Paused));

        var outcome = await harness.Recorder(new ManualClock(Start)).EvaluateAsync(alert, null, Values(100), CancellationToken.None);

        Assert.Null(outcome);
        Assert.Empty(await harness.TransitionsAsync(alert));
        Assert.Null((await harness.StateAsync(alert))?.LastRunAt);
    }

    [Fact]
    public async Task A_transition_published_before_a_crash_is_published_once_after_the_restart()
    {
        var project = await harness.ProjectAsync();
        var clock = new ManualClock(Start);
        var alert = await harness.AlertAsync(AlertHarness.Definition(project));
        await harness.Recorder(clock).EvaluateAsync(alert, null, Values(100), CancellationToken.None);

        // The first process gets the log's ack and dies before it stamps published_at.
        var crashing = harness.Outbox(clock, new CrashAfterPublish(harness.Publisher));
        await Assert.ThrowsAsync<CrashAfterPublish.Crashed>(() => crashing.PublishPendingAsync(CancellationToken.None));
        Assert.Null(Assert.Single(await harness.TransitionsAsync(alert)).PublishedAt);

        // The restarted process finds the row unpublished and publishes it again, under the same message id.
        var restarted = harness.Outbox(clock);
        var first = await restarted.PublishPendingAsync(CancellationToken.None);
        var second = await restarted.PublishPendingAsync(CancellationToken.None);

        // Other tests' transitions share this dpdb's outbox: this one is among the first round, and nothing is left after it.
        Assert.True(first >= 1, $"published {first}");
        Assert.Equal(0, second);
        var transition = Assert.Single(await harness.TransitionsAsync(alert));
        Assert.NotNull(transition.PublishedAt);
        var message = Assert.Single(await AlertHarness.PublishedAsync(alert));
        Assert.Equal($"alert-{transition.Id}", message.Id);
        Assert.Equal(AlertStageChanged.EventType, message.Type);
        Assert.Equal(AlertNames.StageCritical, message.Data.Stage);
        Assert.Equal(AlertNames.StageOk, message.Data.PreviousStage);
        Assert.Equal(project.ToString(), message.Data.ProjectId);
    }

    [Fact]
    public async Task A_resolution_is_published_as_the_resolution_stage()
    {
        var project = await harness.ProjectAsync();
        var clock = new ManualClock(Start);
        var alert = await harness.AlertAsync(AlertHarness.Definition(project));
        var recorder = harness.Recorder(clock);
        await recorder.EvaluateAsync(alert, null, Values(100, 10), CancellationToken.None);

        await harness.Outbox(clock).PublishPendingAsync(CancellationToken.None);

        Assert.Equal([AlertNames.StageCritical, AlertNames.StageResolution],
            (await AlertHarness.PublishedAsync(alert)).OrderBy(m => m.Data.OccurredAt).Select(m => m.Data.Stage));
    }

    /// <summary>A process that dies right after the message log acknowledged its publish.</summary>
    private sealed class CrashAfterPublish(IEventPublisher inner) : IEventPublisher
    {
        public sealed class Crashed() : Exception("crashed after the publish was acknowledged");

        public async Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            await inner.PublishAsync(message, cancellationToken);
            throw new Crashed();
        }

        public async Task PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
        {
            await inner.PublishBatchAsync(messages, cancellationToken);
            throw new Crashed();
        }
    }
}
