using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// Applies what the CP sends to dpdb: upserts, removals of projects deleted on the CP (their keys and alerts go with
/// them), and on a full snapshot removes whatever the CP no longer has. Alert definitions replace the stored one and keep
/// the engine's state (alert_states, alert_transitions): an edited threshold applies from the next evaluation on, from the
/// stage the alert is in. The projects whose alerts changed are told to the alert engine (NOTIFY alerts_changed, delivered
/// on commit), which keeps their PER_EVENT alerts in memory.
/// </summary>
public sealed class SyncApplier([FromKeyedServices("dpdb")] NpgsqlDataSource dpdb)
{
    /// <summary>The channel the alert engine listens on (DataPlane.Api's AlertDefinitionCache); payload: a project id, or * for all.</summary>
    public const string AlertsChangedChannel = "alerts_changed";

    public async Task ApplyAsync(SyncBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var projects = batch.Projects.Where(p => !p.Deleted).Select(p => new
        {
            id = Guid.Parse(p.Id), org = Guid.Parse(p.OrgId), workspace = Guid.Parse(p.WorkspaceId), name = p.Name, description = p.Description,
            // 0 on the wire: no override, the configured default applies (NULL here).
            rate = p.IngestSpansPerSecond > 0 ? p.IngestSpansPerSecond : (long?)null,
            daily = p.IngestSpansPerDay > 0 ? p.IngestSpansPerDay : (long?)null,
            api = p.ApiRequestsPerMinute > 0 ? p.ApiRequestsPerMinute : (long?)null,
        }).ToList();
        await connection.ExecuteAsync(
            """
            INSERT INTO projects (id, org_id, workspace_id, name, description, ingest_spans_per_second, ingest_spans_per_day, api_requests_per_minute, synced_at)
            VALUES (@id, @org, @workspace, @name, @description, @rate, @daily, @api, now())
            ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, workspace_id = excluded.workspace_id,
                name = excluded.name, description = excluded.description, ingest_spans_per_second = excluded.ingest_spans_per_second,
                ingest_spans_per_day = excluded.ingest_spans_per_day, api_requests_per_minute = excluded.api_requests_per_minute, synced_at = now()
            """, projects, transaction);

        // A deleted project (or one under a deleted workspace or data plane) stops working here at once: its row
        // and, by the foreign key's cascade, its keys are removed.
        var deleted = batch.Projects.Where(p => p.Deleted).Select(p => Guid.Parse(p.Id)).ToArray();
        if (deleted.Length > 0)
            await connection.ExecuteAsync("DELETE FROM projects WHERE id = ANY(@deleted)", new { deleted }, transaction);

        var keys = batch.ApiKeys.Select(k => new
        {
            id = Guid.Parse(k.Id), project = Guid.Parse(k.ProjectId), hash = k.KeyHash.ToByteArray(), scopes = k.Scopes.ToArray(), revoked = k.Revoked,
            expires = k.ExpiresAtUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(k.ExpiresAtUnixMs).UtcDateTime : (DateTime?)null,
        }).ToList();
        // A key whose project this DP does not hold (deleted meanwhile) is skipped rather than failing the batch.
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, project_id, key_hash, scopes, revoked, expires_at, synced_at)
            SELECT @id, @project, @hash, @scopes, @revoked, @expires::timestamptz, now()
            WHERE EXISTS (SELECT 1 FROM projects WHERE id = @project)
            ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, key_hash = excluded.key_hash,
                scopes = excluded.scopes, revoked = excluded.revoked, expires_at = excluded.expires_at, synced_at = now()
            """, keys, transaction);

        var alerts = batch.Alerts.Where(a => !a.Deleted).Select(a => new
        {
            id = Guid.Parse(a.Id), project = Guid.Parse(a.ProjectId), definition = a.DefinitionJson.ToStringUtf8(),
        }).ToList();
        // An alert whose project this DP does not hold is skipped, as keys are.
        await connection.ExecuteAsync(
            """
            INSERT INTO alerts (id, project_id, definition, synced_at)
            SELECT @id, @project, @definition::jsonb, now()
            WHERE EXISTS (SELECT 1 FROM projects WHERE id = @project)
            ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, definition = excluded.definition, synced_at = now()
            """, alerts, transaction);
        var deletedAlerts = batch.Alerts.Where(a => a.Deleted).Select(a => Guid.Parse(a.Id)).ToArray();
        if (deletedAlerts.Length > 0)
            await connection.ExecuteAsync("DELETE FROM alerts WHERE id = ANY(@deletedAlerts)", new { deletedAlerts }, transaction);
        foreach (var project in batch.Alerts.Select(a => a.ProjectId).Concat(deleted.Select(d => d.ToString())).Distinct(StringComparer.Ordinal))
            await connection.ExecuteAsync("SELECT pg_notify(@channel, @project)", new { channel = AlertsChangedChannel, project }, transaction);

        if (batch.FullSnapshot)
        {
            await connection.ExecuteAsync("DELETE FROM alerts WHERE NOT (id = ANY(@ids))",
                new { ids = alerts.Select(a => a.id).ToArray() }, transaction);
            await connection.ExecuteAsync("SELECT pg_notify(@channel, '*')", new { channel = AlertsChangedChannel }, transaction);
            await connection.ExecuteAsync("DELETE FROM api_keys WHERE NOT (id = ANY(@ids))",
                new { ids = keys.Select(k => k.id).ToArray() }, transaction);
            await connection.ExecuteAsync("DELETE FROM projects WHERE NOT (id = ANY(@ids))",
                new { ids = projects.Select(p => p.id).ToArray() }, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
    }
}
