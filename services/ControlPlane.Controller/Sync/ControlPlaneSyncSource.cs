using Dapper;
using Google.Protobuf;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>Reads from cpdb what data planes need: projects and API key hashes, all or changed since a point.</summary>
public sealed class ControlPlaneSyncSource([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb)
{
    // A transaction that started before our read can commit rows stamped before it; reading a window
    // that overlaps the previous one catches them. Upserts on the DP make the repeats harmless.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    /// <summary>Records changed since <paramref name="since"/> (all when null) and the point to continue from.</summary>
    public async Task<(SyncBatch Batch, DateTime Next)> ReadAsync(DateTime? since, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var now = await connection.ExecuteScalarAsync<DateTime>("SELECT now()");
        var parameters = new { since = since - Overlap };

        var projects = await connection.QueryAsync<(Guid Id, Guid OrgId, Guid WorkspaceId, string Name, string Description)>(
            """
            SELECT p.id, w.org_id, p.workspace_id, p.name, p.description
            FROM projects p JOIN workspaces w ON w.id = p.workspace_id
            WHERE @since::timestamptz IS NULL OR p.updated_at >= @since
            """, parameters);
        var keys = await connection.QueryAsync<(Guid Id, Guid ProjectId, byte[] KeyHash, string[] Scopes, bool Revoked)>(
            """
            SELECT id, project_id, key_hash, scopes, revoked_at IS NOT NULL
            FROM api_keys
            WHERE @since::timestamptz IS NULL OR updated_at >= @since
            """, parameters);

        var batch = new SyncBatch { FullSnapshot = since is null };
        batch.Projects.AddRange(projects.Select(p => new ProjectRecord
        {
            Id = p.Id.ToString(), OrgId = p.OrgId.ToString(), WorkspaceId = p.WorkspaceId.ToString(),
            Name = p.Name, Description = p.Description,
        }));
        batch.ApiKeys.AddRange(keys.Select(k =>
        {
            var record = new ApiKeyRecord
            {
                Id = k.Id.ToString(), ProjectId = k.ProjectId.ToString(), KeyHash = ByteString.CopyFrom(k.KeyHash), Revoked = k.Revoked,
            };
            record.Scopes.AddRange(k.Scopes);
            return record;
        }));
        return (batch, now);
    }
}
