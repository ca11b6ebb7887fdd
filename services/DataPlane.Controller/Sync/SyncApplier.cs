using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>Applies what the CP sends to dpdb: upserts, and on a full snapshot removes what the CP no longer has.</summary>
public sealed class SyncApplier([FromKeyedServices("dpdb")] NpgsqlDataSource dpdb)
{
    public async Task ApplyAsync(SyncBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var projects = batch.Projects.Select(p => new
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

        var keys = batch.ApiKeys.Select(k => new
        {
            id = Guid.Parse(k.Id), project = Guid.Parse(k.ProjectId), hash = k.KeyHash.ToByteArray(), scopes = k.Scopes.ToArray(), revoked = k.Revoked,
        }).ToList();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, project_id, key_hash, scopes, revoked, synced_at)
            VALUES (@id, @project, @hash, @scopes, @revoked, now())
            ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, key_hash = excluded.key_hash,
                scopes = excluded.scopes, revoked = excluded.revoked, synced_at = now()
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
