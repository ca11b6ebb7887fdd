using Dapper;
using Google.Protobuf;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Reads from cpdb what data planes need: projects and project API key hashes, all or changed since a point.
/// Control-plane keys (kind 'control_plane') never leave the CP. A project is sent as deleted when it, its
/// workspace or its virtual data plane is (soft) deleted; a snapshot simply leaves it out, and its keys with it.
/// </summary>
public sealed class ControlPlaneSyncSource([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb)
{
    // A transaction that started before our read can commit rows stamped before it; reading a window
    // that overlaps the previous one catches them. Upserts on the DP make the repeats harmless.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    /// <summary>Records changed since <paramref name="since"/> (all when null) and the point to continue from.</summary>
    public async Task<(SyncBatch Batch, DateTime Next)> ReadAsync(DateTime? since, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var now = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("SELECT now()", cancellationToken: cancellationToken));
        var parameters = new { since = since - Overlap, snapshot = since is null };

        // A delete anywhere up the tree stamps that node's deleted_at (and updated_at), not the project's: look at all three.
        var projects = await connection.QueryAsync<(Guid Id, Guid OrgId, Guid WorkspaceId, string Name, string Description, bool Deleted)>(new CommandDefinition(
            """
            SELECT p.id, w.org_id, p.workspace_id, p.name, p.description,
                   (p.deleted_at IS NOT NULL OR w.deleted_at IS NOT NULL OR v.deleted_at IS NOT NULL) AS deleted
            FROM projects p
            JOIN workspaces w ON w.id = p.workspace_id
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE CASE WHEN @snapshot
                  THEN p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL
                  ELSE p.updated_at >= @since OR w.updated_at >= @since OR v.updated_at >= @since
                       OR p.deleted_at >= @since OR w.deleted_at >= @since OR v.deleted_at >= @since
                  END
            """, parameters, cancellationToken: cancellationToken));
        // Keys of deleted projects are not sent: the DP drops them with their project.
        var keys = await connection.QueryAsync<(Guid Id, Guid ProjectId, byte[] KeyHash, string[] Scopes, bool Revoked, DateTime? ExpiresAt)>(new CommandDefinition(
            """
            SELECT k.id, k.project_id, k.key_hash, k.scopes, k.revoked_at IS NOT NULL, k.expires_at
            FROM api_keys k
            JOIN projects p ON p.id = k.project_id
            JOIN workspaces w ON w.id = p.workspace_id
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE k.kind = 'project' AND p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL
              AND (@snapshot OR k.updated_at >= @since)
            """, parameters, cancellationToken: cancellationToken));

        var batch = new SyncBatch { FullSnapshot = since is null };
        batch.Projects.AddRange(projects.Select(p => new ProjectRecord
        {
            Id = p.Id.ToString(), OrgId = p.OrgId.ToString(), WorkspaceId = p.WorkspaceId.ToString(),
            Name = p.Name, Description = p.Description, Deleted = p.Deleted,
        }));
        batch.ApiKeys.AddRange(keys.Select(k =>
        {
            var record = new ApiKeyRecord
            {
                Id = k.Id.ToString(), ProjectId = k.ProjectId.ToString(), KeyHash = ByteString.CopyFrom(k.KeyHash), Revoked = k.Revoked,
                ExpiresAtUnixMs = k.ExpiresAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeMilliseconds() : 0,
            };
            record.Scopes.AddRange(k.Scopes);
            return record;
        }));
        return (batch, now);
    }
}
