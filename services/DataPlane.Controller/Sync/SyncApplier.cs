using System.Text.Json;
using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// Applies what the CP sends to dpdb, one batch per transaction: upserts, and removals of what the CP deleted (a deleted
/// project's keys and alerts go with it by the foreign keys' cascade). A batch with Last = true also records the sync
/// version it brings dpdb to, in the same transaction, so the version never claims more than what is stored. A snapshot
/// arrives in chunks: each chunk's rows are stamped with the snapshot's id, and its last chunk removes every row not
/// stamped with it, so nothing is removed before the whole snapshot is in. Alert definitions replace the stored one and
/// keep the engine's state (alert_states, alert_transitions): an edited threshold applies from the next evaluation on,
/// from the stage the alert is in. The projects whose alerts changed are told to the alert engine (NOTIFY alerts_changed,
/// delivered on commit), which keeps their PER_EVENT alerts in memory.
/// </summary>
public sealed class SyncApplier([FromKeyedServices("dpdb")] NpgsqlDataSource dpdb)
{
    /// <summary>The channel the alert engine listens on (DataPlane.Api's AlertDefinitionCache); payload: a project id, or * for all.</summary>
    public const string AlertsChangedChannel = "alerts_changed";

    /// <summary>The sync version dpdb holds (0: none yet).</summary>
    public async Task<ulong> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return (ulong)await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT version FROM sync_state", cancellationToken: cancellationToken));
    }

    /// <summary>Applies a batch that is a whole snapshot or change set by itself (Last = true), or a chunk of a snapshot under a new id.</summary>
    public Task ApplyAsync(SyncBatch batch, CancellationToken cancellationToken) => ApplyAsync(batch, Guid.NewGuid(), cancellationToken);

    /// <param name="snapshotId">The same for every chunk of one snapshot (ignored for change sets).</param>
    public async Task ApplyAsync(SyncBatch batch, Guid snapshotId, CancellationToken cancellationToken)
    {
        Guid? snapshot = batch.FullSnapshot ? snapshotId : null;
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var projects = batch.Projects.Where(p => !p.Deleted).ToList();
        if (projects.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO projects (id, org_id, workspace_id, name, description, retention_days,
                    ingest_spans_per_second, ingest_spans_per_day, api_requests_per_minute, synced_at, snapshot_id)
                SELECT u.id, u.org_id, u.workspace_id, u.name, u.description, u.retention_days,
                    nullif(u.rate, 0), nullif(u.daily, 0), nullif(u.api, 0), now(), @snapshot
                FROM unnest(@ids, @orgs, @workspaces, @names, @descriptions, @retention, @rates, @dailies, @apis)
                    AS u(id, org_id, workspace_id, name, description, retention_days, rate, daily, api)
                ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, workspace_id = excluded.workspace_id, name = excluded.name,
                    description = excluded.description, retention_days = excluded.retention_days,
                    ingest_spans_per_second = excluded.ingest_spans_per_second, ingest_spans_per_day = excluded.ingest_spans_per_day,
                    api_requests_per_minute = excluded.api_requests_per_minute, synced_at = now(),
                    snapshot_id = coalesce(excluded.snapshot_id, projects.snapshot_id)
                """,
                new
                {
                    snapshot,
                    ids = projects.Select(p => Guid.Parse(p.Id)).ToArray(), orgs = projects.Select(p => Guid.Parse(p.OrgId)).ToArray(),
                    workspaces = projects.Select(p => Guid.Parse(p.WorkspaceId)).ToArray(), names = projects.Select(p => p.Name).ToArray(),
                    descriptions = projects.Select(p => p.Description).ToArray(),
                    // An older CP sends no retention (0): the DP default.
                    retention = projects.Select(p => p.RetentionDays > 0 ? p.RetentionDays : 30).ToArray(),
                    // Quota overrides: 0 on the wire is none (NULL here), and the configured default (Quotas:*) applies.
                    rates = projects.Select(p => p.IngestSpansPerSecond).ToArray(), dailies = projects.Select(p => p.IngestSpansPerDay).ToArray(),
                    apis = projects.Select(p => p.ApiRequestsPerMinute).ToArray(),
                }, transaction, cancellationToken: cancellationToken));
        }
        // A deleted project (or one under a deleted workspace or data plane) stops working here at once: its row
        // and, by the foreign key's cascade, its keys and alerts are removed.
        var deletedProjects = batch.Projects.Where(p => p.Deleted).Select(p => Guid.Parse(p.Id)).ToArray();
        if (deletedProjects.Length > 0)
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM projects WHERE id = ANY(@deletedProjects)", new { deletedProjects }, transaction, cancellationToken: cancellationToken));

        var keys = batch.ApiKeys.Where(k => !k.Deleted).ToList();
        if (keys.Count > 0)
        {
            // A key whose project this DP does not hold (deleted meanwhile) is skipped rather than failing the batch.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO api_keys (id, project_id, key_hash, scopes, revoked, expires_at, synced_at, snapshot_id)
                SELECT u.id, u.project_id, u.key_hash, ARRAY(SELECT jsonb_array_elements_text(u.scopes::jsonb)), u.revoked,
                       CASE WHEN u.expires_ms > 0 THEN to_timestamp(u.expires_ms / 1000.0) END, now(), @snapshot
                FROM unnest(@ids, @projects, @hashes, @scopes, @revoked, @expires) AS u(id, project_id, key_hash, scopes, revoked, expires_ms)
                JOIN projects p ON p.id = u.project_id
                ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, key_hash = excluded.key_hash, scopes = excluded.scopes,
                    revoked = excluded.revoked, expires_at = excluded.expires_at, synced_at = now(),
                    snapshot_id = coalesce(excluded.snapshot_id, api_keys.snapshot_id)
                """,
                new
                {
                    snapshot,
                    ids = keys.Select(k => Guid.Parse(k.Id)).ToArray(), projects = keys.Select(k => Guid.Parse(k.ProjectId)).ToArray(),
                    hashes = keys.Select(k => k.KeyHash.ToByteArray()).ToArray(),
                    scopes = keys.Select(k => JsonSerializer.Serialize(k.Scopes.ToArray())).ToArray(),
                    revoked = keys.Select(k => k.Revoked).ToArray(), expires = keys.Select(k => k.ExpiresAtUnixMs).ToArray(),
                }, transaction, cancellationToken: cancellationToken));
        }
        var deletedKeys = batch.ApiKeys.Where(k => k.Deleted).Select(k => Guid.Parse(k.Id)).ToArray();
        var gone = new List<byte[]>();
        if (deletedKeys.Length > 0)
        {
            gone.AddRange(await connection.QueryAsync<byte[]>(new CommandDefinition(
                "DELETE FROM api_keys WHERE id = ANY(@deletedKeys) RETURNING key_hash", new { deletedKeys }, transaction, cancellationToken: cancellationToken)));
        }
        // The DP API and ingestion cache keys for a moment: tell them which ones stopped working (delivered on commit).
        gone.AddRange(keys.Where(k => k.Revoked || (k.ExpiresAtUnixMs > 0 && k.ExpiresAtUnixMs <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())).Select(k => k.KeyHash.ToByteArray()));
        if (gone.Count > 0 && !batch.FullSnapshot)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_notify(@channel, h) FROM unnest(@hashes) AS h",
                new { channel = HoneyHive.ServiceDefaults.Auth.ApiKeyCacheInvalidator.Channel, hashes = gone.Select(Convert.ToHexString).ToArray() },
                transaction, cancellationToken: cancellationToken));
        }

        var alerts = batch.Alerts.Where(a => !a.Deleted).ToList();
        if (alerts.Count > 0)
        {
            // An alert whose project this DP does not hold is skipped, as keys are.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO alerts (id, project_id, definition, synced_at, snapshot_id)
                SELECT u.id, u.project_id, u.definition::jsonb, now(), @snapshot
                FROM unnest(@ids, @projects, @definitions) AS u(id, project_id, definition)
                JOIN projects p ON p.id = u.project_id
                ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, definition = excluded.definition, synced_at = now(),
                    snapshot_id = coalesce(excluded.snapshot_id, alerts.snapshot_id)
                """,
                new
                {
                    snapshot,
                    ids = alerts.Select(a => Guid.Parse(a.Id)).ToArray(), projects = alerts.Select(a => Guid.Parse(a.ProjectId)).ToArray(),
                    definitions = alerts.Select(a => a.DefinitionJson.ToStringUtf8()).ToArray(),
                }, transaction, cancellationToken: cancellationToken));
        }
        var deletedAlerts = batch.Alerts.Where(a => a.Deleted).Select(a => Guid.Parse(a.Id)).ToArray();
        if (deletedAlerts.Length > 0)
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alerts WHERE id = ANY(@deletedAlerts)", new { deletedAlerts }, transaction, cancellationToken: cancellationToken));

        var alertProjects = batch.Alerts.Where(a => a.ProjectId.Length > 0).Select(a => a.ProjectId)
            .Concat(deletedProjects.Select(d => d.ToString())).Distinct(StringComparer.Ordinal).ToArray();
        if (batch.FullSnapshot && batch.Last)
        {
            // The whole snapshot is in: whatever it did not carry is gone on the CP.
            foreach (var table in new[] { "alerts", "api_keys", "projects" })
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE snapshot_id IS DISTINCT FROM @snapshot", new { snapshot }, transaction, cancellationToken: cancellationToken));
            }
            alertProjects = ["*"];
        }
        if (alertProjects.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_notify(@channel, p) FROM unnest(@alertProjects) AS p",
                new { channel = AlertsChangedChannel, alertProjects }, transaction, cancellationToken: cancellationToken));
        }
        if (batch.Last)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sync_state SET version = @version, applied_at = now(), snapshot_id = coalesce(@snapshot, snapshot_id)",
                new { version = (long)batch.Version, snapshot }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The CP key pinned by the first identity document this DP accepted (null before that).</summary>
    public async Task<byte[]?> PinnedControlPlaneKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition("SELECT control_plane_public_key FROM sync_state", cancellationToken: cancellationToken));
    }

    /// <summary>Keeps the identity document the CP issued (and pins the CP key that signed it, on first use).</summary>
    public async Task StoreIdentityAsync(string document, byte[] controlPlanePublicKey, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sync_state SET identity_document = @document, control_plane_public_key = coalesce(control_plane_public_key, @controlPlanePublicKey)",
            new { document, controlPlanePublicKey }, cancellationToken: cancellationToken));
    }
}
