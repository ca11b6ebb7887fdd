using Dapper;
using Google.Protobuf;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// What to tell the CP about the alert engine's work: transitions not yet reported (alert_transitions.reported_at) and
/// alerts whose latest run was not (alert_states.run_reported). One report is in flight per stream; its rows are marked
/// reported only when the CP acknowledges it (AlertReportAck), after writing it to cpdb. A report not acknowledged is
/// sent again after <see cref="ResendAfter"/>, and a new stream starts with whatever is still unmarked: the CP upserts
/// by transition id, so a repeat changes nothing there.
/// </summary>
public sealed class AlertReporter([FromKeyedServices("dpdb")] NpgsqlDataSource dpdb)
{
    public const int MaxRows = 500;

    public static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(30);

    internal sealed record Pending(ulong Id, Guid[] Transitions, Guid[] RunAlerts, DateTime[] RunTimes, DateTimeOffset SentAt);

    /// <summary>Per stream: the report in flight. Read by the report loop, cleared by the stream's reader on the ack.</summary>
    public sealed class Cursor
    {
        internal readonly Lock Gate = new();
        internal ulong NextId = 1;
        internal Pending? InFlight;
    }

    /// <summary>The next report, or null when there is nothing new or a report is awaiting its ack.</summary>
    public async Task<AlertReport?> NextAsync(Cursor cursor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (cursor.Gate)
        {
            if (cursor.InFlight is { } pending && now - pending.SentAt < ResendAfter) return null;
        }

        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var transitions = (await connection.QueryAsync<(Guid Id, Guid AlertId, Guid ProjectId, string From, string To, string Result, bool Muted, DateTime OccurredAt)>(new CommandDefinition(
            """
            SELECT id, alert_id, project_id, from_stage, to_stage, result::text, muted, occurred_at
            FROM alert_transitions WHERE reported_at IS NULL ORDER BY occurred_at LIMIT @max
            """, new { max = MaxRows }, cancellationToken: cancellationToken))).ToList();
        var runs = (await connection.QueryAsync<(Guid AlertId, DateTime RanAt, string? Result, string? Error, string Stage)>(new CommandDefinition(
            """
            SELECT alert_id, last_run_at, last_result::text, last_error, stage
            FROM alert_states WHERE NOT run_reported AND last_run_at IS NOT NULL LIMIT @max
            """, new { max = MaxRows }, cancellationToken: cancellationToken))).ToList();
        if (transitions.Count == 0 && runs.Count == 0) return null;

        var report = new AlertReport();
        report.Transitions.AddRange(transitions.Select(t => new AlertTransitionRecord
        {
            Id = t.Id.ToString(), AlertId = t.AlertId.ToString(), ProjectId = t.ProjectId.ToString(), FromStage = t.From, ToStage = t.To,
            ResultJson = ByteString.CopyFromUtf8(t.Result), Muted = t.Muted, OccurredAtUnixMs = UnixMs(t.OccurredAt),
        }));
        report.Runs.AddRange(runs.Select(r => new AlertRunRecord
        {
            AlertId = r.AlertId.ToString(), RanAtUnixMs = UnixMs(r.RanAt), ResultJson = ByteString.CopyFromUtf8(r.Result ?? ""),
            Error = r.Error ?? "", Stage = r.Stage,
        }));
        lock (cursor.Gate)
        {
            report.ReportId = cursor.NextId++;
            cursor.InFlight = new Pending(report.ReportId, [.. transitions.Select(t => t.Id)], [.. runs.Select(r => r.AlertId)], [.. runs.Select(r => r.RanAt)], now);
        }
        return report;
    }

    /// <summary>The CP has report <paramref name="reportId"/>: its rows are reported (a run only if no newer one replaced it).</summary>
    public async Task AcknowledgeAsync(Cursor cursor, ulong reportId, CancellationToken cancellationToken)
    {
        Pending? pending;
        lock (cursor.Gate)
        {
            pending = cursor.InFlight?.Id == reportId ? cursor.InFlight : null;
        }
        if (pending is null) return;

        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alert_transitions SET reported_at = now() WHERE id = ANY(@ids) AND reported_at IS NULL",
            new { ids = pending.Transitions }, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE alert_states s SET run_reported = true
            FROM unnest(@alerts, @times) AS u(alert_id, ran_at)
            WHERE s.alert_id = u.alert_id AND s.last_run_at = u.ran_at
            """, new { alerts = pending.RunAlerts, times = pending.RunTimes }, cancellationToken: cancellationToken));
        lock (cursor.Gate)
        {
            if (cursor.InFlight?.Id == reportId) cursor.InFlight = null;
        }
    }

    private static long UnixMs(DateTime value) => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}
