using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// Applies what the CP sends to dpdb: upserts, removals of projects deleted on the CP (their keys go with them),
/// and on a full snapshot removes whatever the CP no longer has.
/// </summary>
public sealed class SyncApplier([FromKeyedServices("dpdb")] NpgsqlDataSource dpdb)
{
    public async Task ApplyAsync(SyncBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var projects = batch.Projects.Where(p => !p.Deleted).Select(p => new
        {
            id = Guid.Parse(p.Id), org = Guid.Parse(p.OrgId), workspace = Guid.Parse(p.WorkspaceId), name = p.Name, description = p.Description,
        }).ToList();
        await connection.ExecuteAsync(
            """
            INSERT INTO projects (id, org_id, workspace_id, name, description, synced_at)
            VALUES (@id, @org, @workspace, @name, @description, now())
            ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, workspace_id = excluded.workspace_id,
                name = excluded.name, description = excluded.description, synced_at = now()
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

        if (batch.FullSnapshot)
        {
            await connection.ExecuteAsync("DELETE FROM api_keys WHERE NOT (id = ANY(@ids))",
                new { ids = keys.Select(k => k.id).ToArray() }, transaction);
            await connection.ExecuteAsync("DELETE FROM projects WHERE NOT (id = ANY(@ids))",
                new { ids = projects.Select(p => p.id).ToArray() }, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
    }
}
