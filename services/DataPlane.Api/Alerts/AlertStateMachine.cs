using HoneyHive.Contracts.Alerts;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>An alert's stage as dpdb keeps it (alert_states).</summary>
/// <param name="Stage">OK, WARNING or CRITICAL.</param>
/// <param name="StageSince">When it entered the stage.</param>
/// <param name="RecoveringSince">Since when the resolved condition has held while WARNING or CRITICAL, else null.</param>
public sealed record AlertState(string Stage, DateTimeOffset StageSince, DateTimeOffset? RecoveringSince)
{
    public static AlertState Initial(DateTimeOffset now) => new(AlertNames.StageOk, now, null);
}

/// <summary>
/// The engine's state machine, apart from any store so it can be reasoned about alone. Stages OK → WARNING → CRITICAL:
/// a stage fires once, when it is crossed; WARNING escalates to CRITICAL; CRITICAL never steps back to WARNING (it stays
/// until resolved); back to OK only when the <c>resolved</c> threshold has held for <c>recovery_seconds</c>. A value
/// between the crossing and the resolved thresholds keeps the stage (hysteresis) and restarts the recovery window, so a
/// value hovering at a threshold cannot flap.
/// </summary>
public static class AlertStateMachine
{
    /// <summary>The state after judging <paramref name="value"/> at <paramref name="now"/>, and the stage moved to (null: none).</summary>
    public static (AlertState State, string? MovedTo) Next(AlertState state, double value, AlertThresholds thresholds, int recoverySeconds, DateTimeOffset now)
    {
        var critical = thresholds.Critical.IsCrossedBy(value);
        var warning = thresholds.Warning?.IsCrossedBy(value) ?? false;
        if (state.Stage == AlertNames.StageOk)
        {
            // Critical wins over warning when both are crossed at once: the first notice is the severe one.
            if (critical) return (new AlertState(AlertNames.StageCritical, now, null), AlertNames.StageCritical);
            if (warning) return (new AlertState(AlertNames.StageWarning, now, null), AlertNames.StageWarning);
            return (state with { RecoveringSince = null }, null);
        }

        if (critical)
        {
            return state.Stage == AlertNames.StageWarning
                ? (new AlertState(AlertNames.StageCritical, now, null), AlertNames.StageCritical)
                : (state with { RecoveringSince = null }, null);
        }

        if (thresholds.Resolved.IsCrossedBy(value) && !warning)
        {
            var since = state.RecoveringSince ?? now;
            if (now - since >= TimeSpan.FromSeconds(recoverySeconds))
                return (new AlertState(AlertNames.StageOk, now, null), AlertNames.StageOk);
            return (state with { RecoveringSince = since }, null);
        }

        // Still crossed, or inside the band between the thresholds: the stage stays and recovery starts over.
        return (state with { RecoveringSince = null }, null);
    }
}
