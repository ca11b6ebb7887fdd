using System.Security.Claims;
using Dapper;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.OrgSecurity;

/// <summary>One org of a user with its sign-in policy, and whether the user is one of its break-glass accounts.</summary>
public sealed record PolicyOrg(Guid Id, string Name, bool RequireMfa, bool RequireSso, bool BreakGlass);

/// <summary>
/// What the sign-in policies of a user's orgs allow. An org that requires SSO closes every other way in for its
/// members (password sign-in and refresh, password reset, API keys made from a password session), except for its
/// break-glass accounts; an org that requires MFA makes a password alone not enough. A user belongs to their orgs
/// with one account, so the strictest of their orgs decides: the refusal names the org.
/// </summary>
public sealed class SignInPolicy(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    SessionStore sessions)
{
    public async Task<IReadOnlyList<PolicyOrg>> OrgsOfAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<PolicyOrg>(new CommandDefinition(
            """
            SELECT o.id AS Id, o.name AS Name, o.require_mfa AS RequireMfa, o.require_sso AS RequireSso,
                   EXISTS (SELECT 1 FROM org_break_glass_accounts b WHERE b.org_id = o.id AND b.user_id = m.user_id) AS BreakGlass
            FROM org_members m JOIN orgs o ON o.id = m.org_id
            WHERE m.user_id = @userId ORDER BY o.name, o.id
            """, new { userId }, cancellationToken: cancellationToken))];
    }

    /// <summary>The first org that requires SSO of a user who is not its break-glass account; null when password sign-in is open.</summary>
    public static PolicyOrg? SsoClosedBy(IReadOnlyList<PolicyOrg> orgs) => orgs.FirstOrDefault(o => o.RequireSso && !o.BreakGlass);

    /// <summary>The orgs that require SSO but let this user in by password as their break-glass account (each such sign-in is audited there).</summary>
    public static Guid[] BreakGlassOrgs(IReadOnlyList<PolicyOrg> orgs) => [.. orgs.Where(o => o.RequireSso && o.BreakGlass).Select(o => o.Id)];

    /// <summary>The first org that requires MFA; null when none does.</summary>
    public static PolicyOrg? MfaRequiredBy(IReadOnlyList<PolicyOrg> orgs) => orgs.FirstOrDefault(o => o.RequireMfa);

    /// <summary>The refusal of a path SSO enforcement closed: 403 naming the org and what to do instead.</summary>
    public static ApiRequestException SsoRequired(PolicyOrg org, string what) =>
        ApiRequestException.Forbidden(null, $"Org '{org.Name}' requires single sign-on: {what} Sign in through your organization's identity provider.");

    /// <summary>
    /// Refuses creating an API key in <paramref name="orgId"/> from a session that was not obtained by SSO when the org
    /// requires SSO (a key made from a password session would outlive the password path SSO closed). Break-glass accounts
    /// and control-plane keys are not held to it: the first are the org's way in when its identity provider fails, the
    /// second were made under the rules of their time and are revoked like any key.
    /// </summary>
    public async Task RequireKeyCreationAllowedAsync(ClaimsPrincipal principal, Guid orgId, CancellationToken cancellationToken)
    {
        if (principal.UserIdOf() is not { } userId) return;
        var org = (await OrgsOfAsync(userId, cancellationToken)).FirstOrDefault(o => o.Id == orgId);
        if (org is null || !org.RequireSso || org.BreakGlass) return;
        var method = Guid.TryParse(principal.FindFirstValue(AccessTokenClaims.Session), out var sessionId)
            ? await sessions.MethodOfAsync(sessionId, userId, cancellationToken)
            : null;
        if (!SessionMethods.IsSso(method))
            throw SsoRequired(org, "API keys can be created only from a session signed in by single sign-on, and this one was not.");
    }
}
