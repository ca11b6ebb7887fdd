using System.Data;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>
/// Who becomes the creator of a new workspace or project. A signed-in user who creates one becomes its creator
/// themselves; only an API key may name someone (the spec's <c>*_creator</c> fields), who must already be a member
/// of the org (and, for a project, reach its workspace).
/// </summary>
public static class Creators
{
    /// <summary>
    /// The role the creator gets on what they created. This stands for HoneyHive's per-org "creator" role
    /// configuration: this version grants every org the same one, admin on the new node.
    /// </summary>
    public const string CreatorRole = BuiltInRoles.Admin;

    /// <summary>The user to bind as creator, or null for none; refuses the field from a user (400) and names nobody ineligible.</summary>
    public static async Task<Guid?> ResolveAsync(
        IDbConnection connection, IDbTransaction transaction, Caller caller, string? creatorEmail, string field, Guid orgId, Guid? workspaceId, CancellationToken cancellationToken)
    {
        if (caller.UserId is { } userId)
        {
            if (creatorEmail is not null)
                throw ApiRequestException.BadRequest(field, $"{field} is only accepted from API keys; a signed-in user who creates it becomes its creator.");
            return userId;
        }

        if (creatorEmail is null) return null;
        TenancyNames.Email(creatorEmail, field);
        var member = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            """
            SELECT u.id FROM users u JOIN org_members m ON m.user_id = u.id AND m.org_id = @orgId
            WHERE lower(u.email) = lower(@creatorEmail) AND u.disabled_at IS NULL
              AND (@workspaceId::uuid IS NULL OR m.role IS NOT NULL
                   OR EXISTS (SELECT 1 FROM role_bindings b WHERE b.user_id = u.id AND b.org_id = @orgId AND b.scope_type = 'workspace' AND b.scope_id = @workspaceId))
            """, new { orgId, creatorEmail, workspaceId }, transaction, cancellationToken: cancellationToken));
        return member ?? throw ApiRequestException.BadRequest(field, $"{field} does not name an eligible member of this {(workspaceId is null ? "organization" : "workspace")}.");
    }

    /// <summary>Binds <see cref="CreatorRole"/> on the new node (kept if the user already has a binding there).</summary>
    public static Task BindAsync(IDbConnection connection, IDbTransaction transaction, Guid orgId, Guid userId, string scopeType, Guid scopeId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @orgId, @userId, @role, @scopeType, @scopeId)
            ON CONFLICT (user_id, scope_type, scope_id) DO NOTHING
            """, new { id = Guid.CreateVersion7(), orgId, userId, role = CreatorRole, scopeType, scopeId }, transaction, cancellationToken: cancellationToken));
}
