using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Roles;

public sealed record RoleItem(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("permissions")] IReadOnlyList<string> Permissions,
    [property: JsonPropertyName("built_in")] bool BuiltIn);

public sealed record PostRoleRequest(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("permissions")] string[]? Permissions);

public sealed record PutRoleRequest(
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("permissions")] string[]? Permissions);

/// <summary>An org's custom roles: its own names for sets of catalog permissions, bound like the built-in ones.</summary>
public static partial class RolesApi
{
    public const string TargetType = "role";
    private const string What = "Role";
    private static readonly string[] CreateFields = ["name", "description", "permissions"];
    private static readonly string[] UpdateFields = ["description", "permissions"];

    public static void MapRolesApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs/{org_id}/roles", ListAsync);
        api.MapPost("/v1/orgs/{org_id}/roles", CreateAsync).Accepts<PostRoleRequest>("application/json");
        api.MapPut("/v1/orgs/{org_id}/roles/{name}", UpdateAsync).Accepts<PutRoleRequest>("application/json");
        api.MapDelete("/v1/orgs/{org_id}/roles/{name}", DeleteAsync);
    }

    private static readonly string[] BuiltInDescriptions =
    [
        "Everything, including making and unmaking owners.",
        "Everything but ownership.",
        "Works in projects (traces, datasets, experiments); changes neither people nor structure.",
        "Reads everything a member can.",
    ];

    private static IEnumerable<RoleItem> BuiltIns() =>
        BuiltInRoles.Names.Select((name, i) => new RoleItem(name, BuiltInDescriptions[i], BuiltInRoles.PermissionsOf(name)!, true));

    private static async Task<(Caller Caller, TenancyPath Org)> RequireAsync(ControlPlaneAccess access, ClaimsPrincipal principal, string orgIdText, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var path = await access.Tree.OrgAsync(orgId, cancellationToken);
        return (await access.RequireAsync(principal, Permissions.RolesManage, path, "Organization", cancellationToken), path!);
    }

    private static async Task<Ok<Envelope<RoleItem[]>>> ListAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (_, org) = await RequireAsync(access, principal, orgIdText, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var custom = await connection.QueryAsync<(string Name, string Description, string[] Permissions)>(new CommandDefinition(
            "SELECT name, description, permissions FROM custom_roles WHERE org_id = @orgId ORDER BY name", new { orgId = org.OrgId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(Envelope.Of<RoleItem[]>([.. BuiltIns(), .. custom.Select(r => new RoleItem(r.Name, r.Description, r.Permissions, false))]));
    }

    /// <summary>Every permission in the catalog, at most once; 400 naming <c>permissions[i]</c> otherwise.</summary>
    private static List<string> ValidPermissions(List<string>? permissions)
    {
        if (permissions is null || permissions.Count == 0) throw ApiRequestException.BadRequest("permissions", "permissions is required: a non-empty array of permission names.");
        for (var i = 0; i < permissions.Count; i++)
        {
            if (!Permissions.IsKnown(permissions[i]))
                throw ApiRequestException.BadRequest($"permissions[{i}]", $"permissions[{i}] '{permissions[i]}' is not a known permission; known: {string.Join(", ", Permissions.All)}.");
        }
        return [.. permissions.Distinct(StringComparer.Ordinal)];
    }

    private static async Task<Ok<Envelope<RoleItem>>> CreateAsync(
        [FromRoute(Name = "org_id")] string orgIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (caller, org) = await RequireAsync(access, principal, orgIdText, cancellationToken);
        var body = await RequestBody.ReadAsync(request, CreateFields, cancellationToken);
        var name = RequestBody.RequiredString(body, "name", 64);
        if (BuiltInRoles.IsBuiltIn(name)) throw ApiRequestException.BadRequest("name", $"'{name}' is a built-in role; pick another name.");
        if (!RoleName().IsMatch(name)) throw ApiRequestException.BadRequest("name", "name must start with a lowercase letter and hold lowercase letters, digits, '_' and '-' (at most 64).");
        var description = RequestBody.String(body, "description", 1000) ?? "";
        var permissions = ValidPermissions(RequestBody.StringArray(body, "permissions", Permissions.All.Count * 2, 100));
        OrgRoles.RequireHeldByCaller(caller, org, permissions);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var created = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO custom_roles (id, org_id, name, description, permissions) VALUES (@id, @orgId, @name, @description, @permissions)
            ON CONFLICT (org_id, name) DO NOTHING
            """, new { id = Guid.CreateVersion7(), orgId = org.OrgId, name, description, permissions = permissions.ToArray() }, transaction, cancellationToken: cancellationToken));
        if (created == 0) throw ApiRequestException.Conflict("name", $"This organization already has a role named '{name}'.");
        var item = new RoleItem(name, description, permissions, false);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org.OrgId, caller, "role.created", TargetType, name, null, item), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<RoleItem>(item));
    }

    private static async Task<RoleItem> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, string name, CancellationToken cancellationToken)
    {
        if (BuiltInRoles.IsBuiltIn(name)) throw ApiRequestException.BadRequest("name", $"'{name}' is a built-in role and cannot be changed or deleted.");
        var row = await connection.QuerySingleOrDefaultAsync<(string Name, string Description, string[] Permissions)?>(new CommandDefinition(
            "SELECT name, description, permissions FROM custom_roles WHERE org_id = @orgId AND name = @name FOR UPDATE", new { orgId, name }, transaction, cancellationToken: cancellationToken));
        return row is { } r ? new RoleItem(r.Name, r.Description, r.Permissions, false) : throw ApiRequestException.NotFound(null, $"{What} not found.");
    }

    private static async Task<Ok<Envelope<RoleItem>>> UpdateAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "name")] string name, HttpRequest request,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (caller, org) = await RequireAsync(access, principal, orgIdText, cancellationToken);
        var body = await RequestBody.ReadAsync(request, UpdateFields, cancellationToken);
        var description = RequestBody.String(body, "description", 1000);
        var permissions = RequestBody.Has(body, "permissions") ? ValidPermissions(RequestBody.StringArray(body, "permissions", Permissions.All.Count * 2, 100)) : null;

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, org.OrgId, name, cancellationToken);
        // Both what it gains and what it had: changing a role changes the access of everyone bound to it.
        if (permissions is not null)
        {
            OrgRoles.RequireHeldByCaller(caller, org, permissions);
            OrgRoles.RequireMayGrant(caller, org, before.Permissions);
        }
        var after = new RoleItem(name, description ?? before.Description, permissions ?? before.Permissions, false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE custom_roles SET description = @Description, permissions = @permissions, updated_at = now() WHERE org_id = @orgId AND name = @name",
            new { after.Description, permissions = after.Permissions.ToArray(), orgId = org.OrgId, name }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org.OrgId, caller, "role.updated", TargetType, name, before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<RoleItem>(after));
    }

    private static async Task<Ok<Envelope<RoleItem>>> DeleteAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "name")] string name,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (caller, org) = await RequireAsync(access, principal, orgIdText, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, org.OrgId, name, cancellationToken);
        var bound = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT (SELECT count(*) FROM org_members WHERE org_id = @orgId AND role = @name)
                 + (SELECT count(*) FROM role_bindings WHERE org_id = @orgId AND role = @name)
                 + (SELECT count(*) FROM invitations WHERE org_id = @orgId AND role = @name AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())
            """, new { orgId = org.OrgId, name }, transaction, cancellationToken: cancellationToken));
        if (bound > 0)
            throw ApiRequestException.Conflict("name", $"The role is still granted {bound} time(s) (members, bindings or pending invitations); change those first.");
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM custom_roles WHERE org_id = @orgId AND name = @name", new { orgId = org.OrgId, name }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org.OrgId, caller, "role.deleted", TargetType, name, before, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<RoleItem>(before));
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex RoleName();
}
