using System.Data;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Api.Roles;

/// <summary>The roles an org may grant (built-in and its own) and who may grant what.</summary>
public static class OrgRoles
{
    /// <summary>The permissions of <paramref name="role"/> in <paramref name="orgId"/>, or a 400 naming <paramref name="field"/> when it is no role there.</summary>
    public static async Task<IReadOnlyList<string>> PermissionsOfAsync(IDbConnection connection, IDbTransaction? transaction, Guid orgId, string role, string field, CancellationToken cancellationToken)
    {
        if (BuiltInRoles.PermissionsOf(role) is { } builtIn) return builtIn;
        var custom = await connection.QuerySingleOrDefaultAsync<string[]>(new CommandDefinition(
            "SELECT permissions FROM custom_roles WHERE org_id = @orgId AND name = @role", new { orgId, role }, transaction, cancellationToken: cancellationToken));
        return custom is null
            ? throw ApiRequestException.BadRequest(field, $"{field} must be one of {string.Join(", ", BuiltInRoles.Names)} or a custom role of this organization.")
            : Permissions.KnownOnly(custom);
    }

    /// <summary>
    /// Granting or taking away a role that carries org:manage (owner, or a custom role holding it) needs org:manage:
    /// only owners make or unmake owners, so an admin cannot raise anyone, themselves included, above admin.
    /// </summary>
    public static void RequireMayGrant(Caller caller, TenancyPath orgPath, IReadOnlyList<string> permissions)
    {
        if (permissions.Contains(Permissions.OrgManage) && !GrantRules.Allows(caller.Grants, orgPath, Permissions.OrgManage))
            throw ApiRequestException.Forbidden("role", $"Granting or revoking a role that carries '{Permissions.OrgManage}' (such as owner) needs '{Permissions.OrgManage}'; ask an owner.");
    }

    /// <summary>A custom role may only hold permissions its author holds on the org, so roles:manage is not a way up.</summary>
    public static void RequireHeldByCaller(Caller caller, TenancyPath orgPath, IReadOnlyList<string> permissions)
    {
        var held = GrantRules.PermissionsAt(caller.Grants, orgPath);
        var missing = permissions.Select((p, i) => (p, i)).FirstOrDefault(x => !held.Contains(x.p));
        if (missing.p is not null)
            throw ApiRequestException.Forbidden($"permissions[{missing.i}]", $"You do not hold '{missing.p}' on this organization, so you cannot put it in a role.");
    }
}
