using Dapper;
using Npgsql;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>Many synced objects in cpdb at once, written as the CP API would (one transaction, the sync triggers fire).</summary>
internal static class SyncSeed
{
    public static async Task AddKeysAsync(NpgsqlDataSource cpdb, Guid projectId, Guid orgId, int count)
    {
        await using var connection = await cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes, org_id, scope_type, scope_id)
            SELECT gen_random_uuid(), @projectId, 'seed ' || g, 'hh_seed', sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
                   ARRAY['ingest', 'read'], @orgId, 'project', @projectId
            FROM generate_series(1, @count) AS g
            """, new { projectId, orgId, count }, commandTimeout: 300);
    }
}
