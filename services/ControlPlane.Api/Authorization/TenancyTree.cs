using Dapper;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Authorization;

/// <summary>
/// Where a node of the tenancy tree sits: the path a grant must cover to apply to it. Deleted (archived)
/// nodes, and nodes under a deleted parent, have no path: they are not found.
/// </summary>
public sealed class TenancyTree([FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb)
{
    public async Task<TenancyPath?> ProjectAsync(Guid projectId, CancellationToken cancellationToken) =>
        await FindAsync(
            """
            SELECT w.org_id, w.id, p.id FROM projects p
            JOIN workspaces w ON w.id = p.workspace_id
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE p.id = @id AND p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL
            """, projectId, cancellationToken);

    public async Task<TenancyPath?> WorkspaceAsync(Guid workspaceId, CancellationToken cancellationToken) =>
        await FindAsync(
            """
            SELECT w.org_id, w.id, NULL::uuid FROM workspaces w
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE w.id = @id AND w.deleted_at IS NULL AND v.deleted_at IS NULL
            """, workspaceId, cancellationToken);

    /// <summary>A virtual data plane: roles are not granted on one, so its path is its org's.</summary>
    public async Task<TenancyPath?> DataplaneAsync(Guid dataplaneId, CancellationToken cancellationToken) =>
        await FindAsync(
            "SELECT org_id, NULL::uuid, NULL::uuid FROM virtual_dataplanes WHERE id = @id AND deleted_at IS NULL",
            dataplaneId, cancellationToken);

    public async Task<TenancyPath?> OrgAsync(Guid orgId, CancellationToken cancellationToken) =>
        await FindAsync("SELECT id, NULL::uuid, NULL::uuid FROM orgs WHERE id = @id", orgId, cancellationToken);

    private async Task<TenancyPath?> FindAsync(string sql, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(Guid OrgId, Guid? WorkspaceId, Guid? ProjectId)?>(
            new CommandDefinition(sql, new { id }, cancellationToken: cancellationToken));
        return row is { } r ? new TenancyPath(r.OrgId, r.WorkspaceId, r.ProjectId) : null;
    }
}
