using Dapper;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Authentication;

/// <summary>What an API key presented to the control plane resolves to.</summary>
/// <param name="Kind">'control_plane' (hh_fgcp_...) or 'project' (accepted only by the legacy project routes).</param>
public sealed record ControlPlaneKey(Guid Id, string Kind, Guid OrgId, Grant Grant, Guid? ProjectId, IReadOnlyList<string> Scopes);

/// <summary>
/// Looks API keys up in cpdb by their SHA-256 hash: unrevoked and unexpired only. A control-plane key's grant is
/// its permissions on its org or workspace; a project key's is what its scopes allow in its project.
/// </summary>
public sealed class ControlPlaneKeyDirectory([FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, TimeProvider clock)
{
    /// <summary>Control-plane keys start with this (HoneyHive's fine-grained control-plane keys do too).</summary>
    public const string ControlPlanePrefix = "hh_fgcp_";

    // Writing last_used_at on every request would turn each read into a write; a minute's precision is plenty.
    private static readonly TimeSpan LastUsedPrecision = TimeSpan.FromMinutes(1);

    public async Task<ControlPlaneKey?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(presentedKey);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            """
            SELECT k.id AS Id, k.kind AS Kind, k.key_hash AS KeyHash, k.scopes AS Scopes, k.project_id AS ProjectId,
                   COALESCE(k.org_id, w.org_id) AS OrgId, COALESCE(k.scope_type, 'project') AS ScopeType,
                   COALESCE(k.scope_id, k.project_id) AS ScopeId, k.last_used_at AS LastUsedAt
            FROM api_keys k
            LEFT JOIN projects p ON p.id = k.project_id
            LEFT JOIN workspaces w ON w.id = p.workspace_id
            WHERE k.key_hash = @hash AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > @now)
              AND (k.project_id IS NULL OR (p.deleted_at IS NULL AND w.deleted_at IS NULL))
            """, new { hash, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        if (row is null || row.OrgId is null || row.ScopeId is null || !ApiKeys.HashesEqual(row.KeyHash, hash)) return null;

        // A project key named like a control-plane key, or the reverse, is a key minted wrongly: refuse it.
        var isControlPlane = row.Kind == "control_plane";
        if (isControlPlane != presentedKey.StartsWith(ControlPlanePrefix, StringComparison.Ordinal)) return null;

        if (row.LastUsedAt is null || clock.GetUtcNow().UtcDateTime - row.LastUsedAt > LastUsedPrecision)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET last_used_at = @now WHERE id = @id", new { id = row.Id, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        }

        var permissions = isControlPlane ? Permissions.KnownOnly(row.Scopes) : Permissions.ForKeyScopes(row.Scopes);
        return new ControlPlaneKey(row.Id, row.Kind, row.OrgId.Value, new Grant(row.ScopeType, row.ScopeId.Value, permissions), row.ProjectId,
            ApiScopes.KnownOnly(row.Scopes));
    }

    // Settable properties, not a positional record: Dapper matches a constructor only when every column's type is the
    // parameter's exactly, and Npgsql reports text[] as System.Array, so the record never materialized.
    private sealed class KeyRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public byte[] KeyHash { get; init; } = [];
        public string[] Scopes { get; init; } = [];
        public Guid? ProjectId { get; init; }
        public Guid? OrgId { get; init; }
        public string ScopeType { get; init; } = "";
        public Guid? ScopeId { get; init; }
        public DateTime? LastUsedAt { get; init; }
    }
}
