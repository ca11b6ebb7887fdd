using System.Security.Claims;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.Roles;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Members;

public sealed record BindingItem(
    [property: JsonPropertyName("scope_type")] string ScopeType,
    [property: JsonPropertyName("scope_id")] Guid ScopeId,
    [property: JsonPropertyName("role")] string Role);

/// <summary>A member of an org: their org-wide role (null: none) and the roles bound to workspaces and projects.</summary>
public sealed record MemberItem(
    [property: JsonPropertyName("user_id")] Guid UserId,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("bindings")] IReadOnlyList<BindingItem> Bindings);

public sealed record PutMemberRequest([property: JsonPropertyName("role")] string? Role);

public sealed record PutBindingRequest(
    [property: JsonPropertyName("scope_type")] string? ScopeType,
    [property: JsonPropertyName("scope_id")] string? ScopeId,
    [property: JsonPropertyName("role")] string? Role);

/// <summary>An org's members, their org-wide roles and their role bindings on workspaces and projects.</summary>
public static class MembersApi
{
    public const string TargetType = "member";
    private const string What = "Member";
    private static readonly string[] RoleFields = ["role"];
    private static readonly string[] BindingFields = ["scope_type", "scope_id", "role"];

    public static void MapMembersApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs/{org_id}/members", ListAsync);
        api.MapPut("/v1/orgs/{org_id}/members/{user_id}", SetRoleAsync).Accepts<PutMemberRequest>("application/json");
        api.MapDelete("/v1/orgs/{org_id}/members/{user_id}", RemoveAsync);
        api.MapPut("/v1/orgs/{org_id}/members/{user_id}/bindings", BindAsync).Accepts<PutBindingRequest>("application/json");
        api.MapDelete("/v1/orgs/{org_id}/members/{user_id}/bindings", UnbindAsync);
    }

    private static async Task<Ok<Envelope<MemberItem[]>>> ListAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        await access.RequireAsync(principal, Permissions.MembersRead, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<MemberItem[]>([.. await FindAsync(connection, null, orgId, null, cancellationToken)]));
    }

    /// <summary>The members of an org (or one of them), with their bindings.</summary>
    internal static async Task<IReadOnlyList<MemberItem>> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid orgId, Guid? userId, CancellationToken cancellationToken)
    {
        var members = await connection.QueryAsync<(Guid UserId, string Email, string Name, string? Role)>(new CommandDefinition(
            """
            SELECT u.id, u.email, u.name, m.role FROM org_members m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = @orgId AND (@userId::uuid IS NULL OR m.user_id = @userId) ORDER BY m.created_at, u.id
            """, new { orgId, userId }, transaction, cancellationToken: cancellationToken));
        var bindings = (await connection.QueryAsync<(Guid UserId, string ScopeType, Guid ScopeId, string Role)>(new CommandDefinition(
            """
            SELECT user_id, scope_type, scope_id, role FROM role_bindings
            WHERE org_id = @orgId AND (@userId::uuid IS NULL OR user_id = @userId) ORDER BY created_at, id
            """, new { orgId, userId }, transaction, cancellationToken: cancellationToken)))
            .ToLookup(b => b.UserId, b => new BindingItem(b.ScopeType, b.ScopeId, b.Role));
        return [.. members.Select(m => new MemberItem(m.UserId, m.Email, m.Name, m.Role, [.. bindings[m.UserId]]))];
    }

    private static async Task<MemberItem> FindOneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, Guid userId, CancellationToken cancellationToken)
    {
        // Locks the membership so two changes to one member, or to two owners, are decided one after the other.
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT 1 FROM org_members WHERE org_id = @orgId AND (user_id = @userId OR role = @owner) FOR UPDATE",
            new { orgId, userId, owner = BuiltInRoles.Owner }, transaction, cancellationToken: cancellationToken));
        return (await FindAsync(connection, transaction, orgId, userId, cancellationToken)).SingleOrDefault()
            ?? throw ApiRequestException.NotFound(null, $"{What} not found.");
    }

    /// <summary>409 when <paramref name="member"/> is the org's last owner: an org always keeps one.</summary>
    private static async Task RequireNotLastOwnerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, MemberItem member, string action, CancellationToken cancellationToken)
    {
        if (member.Role != BuiltInRoles.Owner) return;
        var owners = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM org_members WHERE org_id = @orgId AND role = @owner", new { orgId, owner = BuiltInRoles.Owner }, transaction, cancellationToken: cancellationToken));
        if (owners <= 1)
            throw ApiRequestException.Conflict("user_id", $"This member is the organization's last owner and cannot be {action}; make another member owner first.");
    }

    private static async Task<Ok<Envelope<MemberItem>>> SetRoleAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "user_id")] string userIdText, HttpRequest request,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var orgPath = await access.Tree.OrgAsync(orgId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.MembersManage, orgPath, "Organization", cancellationToken);
        var userId = RequestBody.RouteId(userIdText, What);
        var body = await RequestBody.ReadAsync(request, RoleFields, cancellationToken);
        if (!RequestBody.Has(body, "role")) throw ApiRequestException.BadRequest("role", "role is required (null removes the org-wide role).");
        var role = RequestBody.String(body, "role", 100);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindOneAsync(connection, transaction, orgId, userId, cancellationToken);
        IReadOnlyList<string> granted = role is null ? [] : await OrgRoles.PermissionsOfAsync(connection, transaction, orgId, role, "role", cancellationToken);
        IReadOnlyList<string> revoked = before.Role is null ? [] : await OrgRoles.PermissionsOfAsync(connection, transaction, orgId, before.Role, "role", cancellationToken);
        if (role == before.Role) return TypedResults.Ok(Envelope.Of<MemberItem>(before));
        OrgRoles.RequireMayGrant(caller, orgPath!, granted);
        OrgRoles.RequireMayGrant(caller, orgPath!, revoked);
        await RequireNotLastOwnerAsync(connection, transaction, orgId, before, "demoted", cancellationToken);

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE org_members SET role = @role WHERE org_id = @orgId AND user_id = @userId", new { orgId, userId, role }, transaction, cancellationToken: cancellationToken));
        var after = before with { Role = role };
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "member.role_changed", TargetType, userId.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<MemberItem>(after));
    }

    private static async Task<Ok<Envelope<MemberItem>>> RemoveAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "user_id")] string userIdText,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var orgPath = await access.Tree.OrgAsync(orgId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.MembersManage, orgPath, "Organization", cancellationToken);
        var userId = RequestBody.RouteId(userIdText, What);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindOneAsync(connection, transaction, orgId, userId, cancellationToken);
        if (before.Role is { } role) OrgRoles.RequireMayGrant(caller, orgPath!, await OrgRoles.PermissionsOfAsync(connection, transaction, orgId, role, "role", cancellationToken));
        await RequireNotLastOwnerAsync(connection, transaction, orgId, before, "removed", cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM role_bindings WHERE org_id = @orgId AND user_id = @userId;
            DELETE FROM org_members WHERE org_id = @orgId AND user_id = @userId;
            """, new { orgId, userId }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "member.removed", TargetType, userId.ToString(), before, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<MemberItem>(before));
    }

    /// <summary>The workspace or project a binding names, checked to be in the org and within the caller's members:manage.</summary>
    private static async Task<(Caller Caller, string ScopeType, Guid ScopeId)> BindingScopeAsync(
        ControlPlaneAccess access, ClaimsPrincipal principal, Guid orgId, string? scopeType, string? scopeIdText, CancellationToken cancellationToken)
    {
        if (scopeType is not (GrantScopes.Workspace or GrantScopes.Project))
            throw ApiRequestException.BadRequest("scope_type", "scope_type must be workspace or project (the org-wide role is set with PUT /v1/orgs/{org_id}/members/{user_id}).");
        var scopeId = RequestBody.Id(scopeIdText, "scope_id");
        var path = scopeType == GrantScopes.Workspace ? await access.Tree.WorkspaceAsync(scopeId, cancellationToken) : await access.Tree.ProjectAsync(scopeId, cancellationToken);
        if (path is not null && path.OrgId != orgId) path = null;
        var what = scopeType == GrantScopes.Workspace ? "Workspace" : "Project";
        var caller = await access.CallerAsync(principal, cancellationToken);
        if (path is null || !GrantRules.Reaches(caller.Grants, path)) throw ApiRequestException.NotFound("scope_id", $"{what} not found in this organization.");
        ControlPlaneAccess.Require(caller, Permissions.MembersManage, path, what);
        return (caller, scopeType, scopeId);
    }

    private static async Task<Ok<Envelope<MemberItem>>> BindAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "user_id")] string userIdText, HttpRequest request,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        // The permission is checked on the node the binding names; another org's caller is turned away first, whatever they send.
        await access.RequireMemberAsync(principal, orgId, cancellationToken);
        var userId = RequestBody.RouteId(userIdText, What);
        var body = await RequestBody.ReadAsync(request, BindingFields, cancellationToken);
        var (caller, scopeType, scopeId) = await BindingScopeAsync(access, principal, orgId, RequestBody.String(body, "scope_type", 20), RequestBody.String(body, "scope_id", 64), cancellationToken);
        var role = RequestBody.RequiredString(body, "role", 100);
        if (role == BuiltInRoles.Owner) throw ApiRequestException.BadRequest("role", "owner is an org-wide role; set it with PUT /v1/orgs/{org_id}/members/{user_id}.");

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await OrgRoles.PermissionsOfAsync(connection, transaction, orgId, role, "role", cancellationToken);
        var before = await FindOneAsync(connection, transaction, orgId, userId, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @orgId, @userId, @role, @scopeType, @scopeId)
            ON CONFLICT (user_id, scope_type, scope_id) DO UPDATE SET role = EXCLUDED.role
            """, new { id = Guid.CreateVersion7(), orgId, userId, role, scopeType, scopeId }, transaction, cancellationToken: cancellationToken));
        var after = (await FindAsync(connection, transaction, orgId, userId, cancellationToken)).Single();
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "member.binding_set", TargetType, userId.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<MemberItem>(after));
    }

    private static async Task<Ok<Envelope<MemberItem>>> UnbindAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "user_id")] string userIdText,
        [FromQuery(Name = "scope_type")] string? scopeTypeText, [FromQuery(Name = "scope_id")] string? scopeIdText,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        // The permission is checked on the node the binding names; another org's caller is turned away first, whatever they send.
        await access.RequireMemberAsync(principal, orgId, cancellationToken);
        var userId = RequestBody.RouteId(userIdText, What);
        var (caller, scopeType, scopeId) = await BindingScopeAsync(access, principal, orgId, scopeTypeText, scopeIdText, cancellationToken);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindOneAsync(connection, transaction, orgId, userId, cancellationToken);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM role_bindings WHERE org_id = @orgId AND user_id = @userId AND scope_type = @scopeType AND scope_id = @scopeId",
            new { orgId, userId, scopeType, scopeId }, transaction, cancellationToken: cancellationToken));
        if (removed == 0) throw ApiRequestException.NotFound("scope_id", "This member has no role bound there.");
        var after = (await FindAsync(connection, transaction, orgId, userId, cancellationToken)).Single();
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "member.binding_removed", TargetType, userId.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<MemberItem>(after));
    }
}
