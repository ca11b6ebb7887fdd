using Dapper;
using HoneyHive.Contracts.Alerts;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>
/// What one look at the data says: the value the thresholds apply to and the result to keep. <see cref="Value"/> null:
/// not judged (fewer events than the minimum sample, an empty baseline, an event without the metric): the stage stays and
/// the run is recorded. <see cref="Error"/>: the evaluation failed (kept as the run's error).
/// </summary>
/// <param name="Result">What is kept as the run's (and a transition's) result.</param>
/// <param name="Value">The value the thresholds apply to; null: not judged.</param>
/// <param name="Error">Why the evaluation failed, when it did.</param>
/// <param name="Source">What was judged when it has an identity (PER_EVENT: the event id): a transition it causes gets an id
/// derived from it, so judging the same event again after a redelivery records nothing new.</param>
public sealed record AlertJudgement(AlertResult? Result, double? Value, string? Error = null, string? Source = null);

/// <summary>A stage change the recorder wrote (and the outbox will publish unless muted).</summary>
public sealed record RecordedTransition(Guid Id, Guid AlertId, string From, string To, bool Muted, AlertResult Result);

/// <summary>
/// Runs an evaluation of one alert under a lock on its state row and records the outcome in the same dpdb transaction:
/// the new stage, the run, and every transition, each of which is a row of the notification outbox. Two processes never
/// evaluate one alert at once: a scheduled evaluation skips a row another replica holds (SKIP LOCKED) or has just run
/// (the due condition is checked under the lock); per-event evaluations of one alert wait for each other.
/// </summary>
public sealed class AlertRecorder([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb, AlertOutboxSignal outbox, TimeProvider clock)
{
    /// <summary>
    /// Evaluates <paramref name="alertId"/> with <paramref name="judge"/> and records it. <paramref name="dueBefore"/> set
    /// (scheduled): only if its last run is older, skipping it when another process holds it. Null when the alert was not
    /// evaluated (gone, paused, not due, held elsewhere); otherwise the transitions recorded (often none).
    /// </summary>
    public async Task<IReadOnlyList<RecordedTransition>?> EvaluateAsync(
        Guid alertId, DateTimeOffset? dueBefore,
        Func<AlertDefinition, CancellationToken, Task<IReadOnlyList<AlertJudgement>>> judge,
        CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        // Outside the transaction: a first evaluation of a new alert must not wait on another's insert of the same row.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO alert_states (alert_id) SELECT id FROM alerts WHERE id = @alertId ON CONFLICT DO NOTHING",
            new { alertId }, cancellationToken: cancellationToken));

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var scheduled = dueBefore is not null;
        var row = await connection.QuerySingleOrDefaultAsync<(string Definition, string Stage, DateTime StageSince, DateTime? RecoveringSince)>(new CommandDefinition(
            $"""
            SELECT a.definition::text, s.stage, s.stage_since, s.recovering_since
            FROM alert_states s JOIN alerts a ON a.id = s.alert_id
            WHERE s.alert_id = @alertId {(scheduled ? "AND (s.last_run_at IS NULL OR s.last_run_at <= @dueBefore)" : "")}
            FOR UPDATE OF s {(scheduled ? "SKIP LOCKED" : "")}
            """,
            new { alertId, dueBefore = dueBefore?.UtcDateTime }, transaction, cancellationToken: cancellationToken));
        if (row.Definition is null) return null;
        var definition = AlertJson.Definition(row.Definition);
        if (definition.IsPaused) return null;

        IReadOnlyList<AlertJudgement> judgements;
        try
        {
            judgements = await judge(definition, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A failed query is the run's outcome (the CP shows it as trigger_error); the stage stays.
            judgements = [new AlertJudgement(null, null, ex.Message)];
        }
        if (judgements.Count == 0) return [];

        var now = clock.GetUtcNow();
        var muted = definition.IsMutedAt(now);
        var state = new AlertState(row.Stage, Utc(row.StageSince), row.RecoveringSince is { } r ? Utc(r) : null);
        var transitions = new List<RecordedTransition>();
        foreach (var judgement in judgements)
        {
            if (judgement.Value is not { } value || judgement.Result is null) continue;
            var from = state.Stage;
            (state, var movedTo) = AlertStateMachine.Next(state, value, definition.Thresholds, definition.RecoverySeconds, now);
            if (movedTo is null) continue;
            var id = judgement.Source is { } source ? DerivedId(alertId, source, from, movedTo) : Guid.CreateVersion7(now);
            transitions.Add(new RecordedTransition(id, alertId, from, movedTo, muted, judgement.Result));
        }

        var recorded = new List<RecordedTransition>();
        for (var i = 0; i < transitions.Count; i++)
        {
            var t = transitions[i];
            // Transitions of one evaluation are a microsecond apart, so their order (by occurred_at) survives.
            var occurredAt = now.UtcDateTime.AddTicks(i * 10);
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO alert_transitions (id, alert_id, project_id, from_stage, to_stage, result, muted, occurred_at)
                VALUES (@Id, @AlertId, @project, @From, @To, @result::jsonb, @Muted, @occurredAt)
                ON CONFLICT (id) DO NOTHING
                """,
                new { t.Id, t.AlertId, project = Guid.Parse(definition.ProjectId), t.From, t.To, result = AlertJson.Serialize(t.Result), t.Muted, occurredAt },
                transaction, cancellationToken: cancellationToken));
            // A derived id already there: this very change was recorded when the same event was judged before.
            if (inserted == 1) recorded.Add(t);
        }

        var last = judgements[^1];
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE alert_states SET stage = @Stage, stage_since = @since, recovering_since = @recovering,
                last_run_at = @now, last_result = @result::jsonb, last_error = @error, run_reported = false
            WHERE alert_id = @alertId
            """,
            new
            {
                state.Stage, since = state.StageSince.UtcDateTime, recovering = state.RecoveringSince?.UtcDateTime, now = now.UtcDateTime,
                result = last.Result is null ? null : AlertJson.Serialize(last.Result), error = last.Error, alertId,
            },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);

        if (recorded.Any(t => !t.Muted)) outbox.Signal();
        return recorded;
    }

    /// <summary>A UUID (version 8, name-based) of the change <paramref name="from"/> → <paramref name="to"/> that <paramref name="source"/> caused.</summary>
    public static Guid DerivedId(Guid alertId, string source, string from, string to)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{alertId:N}\n{source}\n{from}\n{to}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
