using Dapper;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Authorization;

/// <summary>
/// A user's grants from cpdb: the org-wide role of each membership and the roles bound to workspaces and
/// projects, each turned into permissions (built-in roles from <see cref="BuiltInRoles"/>, custom roles from
/// their org's definitions). What access tokens carry and what every control-plane check reads.
/// </summary>
public sealed class GrantResolver([FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb)
{
    public async Task<IReadOnlyList<Grant>> ForUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(Guid OrgId, string Scope, Guid ScopeId, string Role)>(new CommandDefinition(
            """
            SELECT m.org_id, 'org', m.org_id, m.role FROM org_members m
            WHERE m.user_id = @userId AND m.role IS NOT NULL
            UNION ALL
            SELECT b.org_id, b.scope_type, b.scope_id, b.role FROM role_bindings b
            JOIN org_members m ON m.org_id = b.org_id AND m.user_id = b.user_id
            WHERE b.user_id = @userId
            """, new { userId }, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0) return [];

        var custom = (await connection.QueryAsync<(Guid OrgId, string Name, string[] Permissions)>(new CommandDefinition(
            "SELECT org_id, name, permissions FROM custom_roles WHERE org_id = ANY(@orgs)",
            new { orgs = rows.Select(r => r.OrgId).Distinct().ToArray() }, cancellationToken: cancellationToken)))
            .ToDictionary(r => (r.OrgId, r.Name), r => (IReadOnlyList<string>)Permissions.KnownOnly(r.Permissions));

        return [.. rows
            .Select(r => new Grant(r.Scope, r.ScopeId, PermissionsOf(r.OrgId, r.Role, custom)))
            .Where(g => g.Permissions.Count > 0)];
    }

    /// <summary>
    /// The orgs the user belongs to, whatever they hold there: a member with no org-wide role and no binding left still
    /// belongs (and sees the org), though no permission of theirs reaches anything in it.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> MembershipsAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT org_id FROM org_members WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken))];
    }

    /// <summary>A built-in role's permissions, else the org's custom role of that name, else none.</summary>
    public static IReadOnlyList<string> PermissionsOf(Guid orgId, string role, IReadOnlyDictionary<(Guid, string), IReadOnlyList<string>> custom) =>
        BuiltInRoles.PermissionsOf(role) ?? custom.GetValueOrDefault((orgId, role)) ?? [];
}
