using Dapper;
using HoneyHive.Contracts.Alerts;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>
/// Evaluates AGGREGATE and DRIFT alerts every <see cref="AlertOptions.EvaluationInterval"/>. Every dp-api replica runs
/// one; an alert is evaluated by whichever claims it first (<see cref="AlertRecorder"/>: its state row locked with SKIP
/// LOCKED, due checked under the lock), so replicas share the work and never judge one window twice.
/// </summary>
public sealed class AlertScheduler(
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    AlertRecorder recorder,
    WindowEvaluator evaluator,
    AlertOptions options,
    TimeProvider clock,
    ILogger<AlertScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.EvaluationInterval, clock);
        do
        {
            try
            {
                await RunDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Alert evaluation round failed ({Reason}); next round in {Interval}", ex.Message, options.EvaluationInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Evaluates every scheduled alert that is due now; returns how many this process evaluated.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Half an interval of slack: a run finishing a little after its tick is still due at the next one.
        var dueBefore = now - options.EvaluationInterval / 2;
        IReadOnlyList<Guid> due;
        await using (var connection = await dpdb.OpenConnectionAsync(cancellationToken))
        {
            due = (await connection.QueryAsync<Guid>(new CommandDefinition(
                """
                SELECT a.id FROM alerts a LEFT JOIN alert_states s ON s.alert_id = a.id
                WHERE a.definition->>'alert_type' IN (@aggregate, @drift)
                  AND a.definition->>'status' IS DISTINCT FROM @paused
                  AND (s.last_run_at IS NULL OR s.last_run_at <= @dueBefore)
                ORDER BY s.last_run_at NULLS FIRST
                """,
                new { aggregate = AlertNames.Aggregate, drift = AlertNames.Drift, paused = AlertNames.Paused, dueBefore = dueBefore.UtcDateTime },
                cancellationToken: cancellationToken))).ToList();
        }

        var evaluated = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.EvaluationConcurrency, CancellationToken = cancellationToken },
            async (alertId, ct) =>
            {
                var transitions = await recorder.EvaluateAsync(alertId, dueBefore,
                    async (alert, token) => [await evaluator.JudgeAsync(alert, clock.GetUtcNow(), token)], ct);
                if (transitions is null) return;
                Interlocked.Increment(ref evaluated);
                foreach (var t in transitions)
                    logger.LogInformation("Alert {AlertId} moved {From} → {To}{Muted}", alertId, t.From, t.To, t.Muted ? " (muted)" : "");
            });
        return evaluated;
    }
}
