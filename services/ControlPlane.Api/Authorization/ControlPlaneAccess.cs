using System.Security.Claims;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Api.Authorization;

/// <summary>
/// The authorization check of every control-plane route: <see cref="GrantRules"/> over the caller's grants and
/// the target's place in the tree. A caller whose grants do not reach the target is told it does not exist
/// (404, as for a missing id); one who can see it but lacks the permission gets 403 naming the permission.
/// Routes about an org as such (reading it, or routes whose permission is checked on a node named in the body)
/// first ask for membership with <see cref="RequireMemberAsync"/>, so another org's caller gets the same 404.
/// </summary>
public sealed class ControlPlaneAccess(GrantResolver grants, TenancyTree tree)
{
    public TenancyTree Tree => tree;

    /// <summary>The caller and their grants: live from cpdb for a user, from the key's claims for an API key.</summary>
    public async Task<Caller> CallerAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (principal.UserIdOf() is { } userId)
            return new Caller(ActorTypes.User, userId, await grants.ForUserAsync(userId, cancellationToken));
        if (principal.KeyIdOf() is { } keyId)
            return new Caller(ActorTypes.ApiKey, keyId, GrantRules.TryParse(principal.FindFirstValue(CallerClaims.Grants)) ?? []);
        throw new InvalidOperationException("The request is not authenticated; the route must require authorization.");
    }

    /// <summary>The orgs the caller belongs to: a user's memberships (with or without a role), an API key's one org.</summary>
    public async Task<IReadOnlyList<Guid>> MemberOrgsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (principal.UserIdOf() is { } userId) return await grants.MembershipsAsync(userId, cancellationToken);
        if (principal.KeyIdOf() is not null)
            return Guid.TryParse(principal.FindFirstValue(ApiKeyIdentity.OrgIdClaim), out var keyOrg) ? [keyOrg] : [];
        throw new InvalidOperationException("The request is not authenticated; the route must require authorization.");
    }

    /// <summary>
    /// Resolves the caller and the org's path; 404 unless the org exists and the caller belongs to it. Membership needs no
    /// permission: it only says the org exists to the caller, whose permissions are then checked where they act.
    /// </summary>
    public async Task<(Caller Caller, TenancyPath Org)> RequireMemberAsync(ClaimsPrincipal principal, Guid orgId, CancellationToken cancellationToken)
    {
        var caller = await CallerAsync(principal, cancellationToken);
        var path = await tree.OrgAsync(orgId, cancellationToken);
        if (path is null || !(await MemberOrgsAsync(principal, cancellationToken)).Contains(orgId))
            throw ApiRequestException.NotFound(null, "Organization not found.");
        return (caller, path);
    }

    /// <summary>Throws 404 when <paramref name="path"/> is null or out of the caller's reach, 403 when they lack <paramref name="permission"/> there.</summary>
    public static void Require(Caller caller, string permission, TenancyPath? path, string what)
    {
        if (path is null || !GrantRules.Reaches(caller.Grants, path))
            throw ApiRequestException.NotFound(null, $"{what} not found.");
        if (!GrantRules.Allows(caller.Grants, path, permission))
            throw ApiRequestException.Forbidden(null, $"This needs the '{permission}' permission on this {what.ToLowerInvariant()}; ask an org admin for a role that has it.");
    }

    /// <summary>Resolves the caller, checks <paramref name="permission"/> on <paramref name="path"/>, and returns the caller.</summary>
    public async Task<Caller> RequireAsync(ClaimsPrincipal principal, string permission, TenancyPath? path, string what, CancellationToken cancellationToken)
    {
        var caller = await CallerAsync(principal, cancellationToken);
        Require(caller, permission, path, what);
        return caller;
    }
}
