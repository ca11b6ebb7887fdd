using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Writes what a data plane's alert engine reports to cpdb, in one transaction per report: each transition becomes an
/// alert trigger (upserted by its id, so a repeated report is one row; stage WARNING, CRITICAL or RESOLUTION), a resolution
/// stamps resolved_time on the triggers it resolves, and the alert row takes the latest stage, status (TRIGGERED or
/// RESOLVED, a PAUSED alert stays PAUSED), trigger and run. Only forward: a report older than what the row holds does not
/// move it back. An alert's transition counts only for its own project (alert and project must match), and
/// <c>updated_at</c> is never touched: it drives the CP → DP sync, and a report is not a change to send back.
/// </summary>
public sealed class AlertReportSink([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb, ILogger<AlertReportSink> logger)
{
    public async Task RecordAsync(string dataPlaneId, AlertReport report, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var triggers = 0;
        foreach (var t in report.Transitions.OrderBy(t => t.OccurredAtUnixMs))
        {
            if (!Guid.TryParse(t.Id, out var id) || !Guid.TryParse(t.AlertId, out var alertId) || !Guid.TryParse(t.ProjectId, out var projectId)) continue;
            var stage = t.ToStage switch { "OK" => "RESOLUTION", "WARNING" or "CRITICAL" => t.ToStage, _ => null };
            if (stage is null) continue;
            var at = DateTimeOffset.FromUnixTimeMilliseconds(t.OccurredAtUnixMs).UtcDateTime;
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO alert_triggers (id, alert_id, project_id, from_stage, stage, result, muted, triggered_time)
                SELECT @id, @alertId, @projectId, @from, @stage, coalesce(@result::jsonb, '{}'::jsonb), @muted, @at
                WHERE EXISTS (SELECT 1 FROM alerts WHERE id = @alertId AND project_id = @projectId)
                ON CONFLICT (id) DO NOTHING
                """,
                new { id, alertId, projectId, from = t.FromStage, stage, result = Json(t.ResultJson), muted = t.Muted, at },
                transaction, cancellationToken: cancellationToken));
            if (inserted == 0) continue;
            triggers++;

            if (stage == "RESOLUTION")
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE alert_triggers SET resolved_time = @at, updated_at = now()
                    WHERE alert_id = @alertId AND stage IN ('WARNING', 'CRITICAL') AND resolved_time IS NULL AND triggered_time <= @at
                    """, new { alertId, at }, transaction, cancellationToken: cancellationToken));
            }
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE alerts SET stage = @to,
                    status = CASE WHEN status = 'PAUSED' THEN status WHEN @to = 'OK' THEN 'RESOLVED' ELSE 'TRIGGERED' END,
                    last_trigger_id = @id, last_triggered = @at
                WHERE id = @alertId AND project_id = @projectId AND (last_triggered IS NULL OR last_triggered <= @at)
                """, new { to = t.ToStage, id, at, alertId, projectId }, transaction, cancellationToken: cancellationToken));
        }

        foreach (var run in report.Runs)
        {
            if (!Guid.TryParse(run.AlertId, out var alertId)) continue;
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE alerts SET last_run_at = @at, last_result = @result::jsonb, trigger_error = @error, stage = @stage
                WHERE id = @alertId AND (last_run_at IS NULL OR last_run_at <= @at)
                """,
                new
                {
                    at = DateTimeOffset.FromUnixTimeMilliseconds(run.RanAtUnixMs).UtcDateTime, result = Json(run.ResultJson),
                    error = run.Error.Length > 0 ? run.Error : null, stage = run.Stage is "OK" or "WARNING" or "CRITICAL" ? run.Stage : "OK", alertId,
                },
                transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogDebug("Data plane {DataPlaneId} reported {Transitions} alert transitions ({New} new) and {Runs} runs",
            dataPlaneId, report.Transitions.Count, triggers, report.Runs.Count);
    }

    /// <summary>The JSON text of a result, null when empty or not JSON (a DP's bug must not fail the whole report).</summary>
    private static string? Json(Google.Protobuf.ByteString bytes)
    {
        if (bytes.IsEmpty) return null;
        var text = bytes.ToStringUtf8();
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(text);
            return text;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
