using System.Net;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Tokens;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>The outcome of a password check: the user, or how long the caller is locked out, or neither (refused).</summary>
public sealed record PasswordCheck(UserAccount? User, TimeSpan? RetryAfter);

/// <summary>A finished sign-in: the new session's refresh token and its first access token.</summary>
public sealed record CompletedSignIn(RefreshToken Refresh, IssuedAccessToken Access);

/// <summary>
/// Checking a password under the attempt limits, and issuing access tokens with the user's live grants. Every
/// refusal looks the same whether or not the email has an account: same answer, same Argon2 work, same counters.
/// </summary>
public sealed class SignIn(
    UserAccounts users,
    AttemptLimiter limiter,
    AccessTokenIssuer issuer,
    GrantResolver grants,
    SessionStore sessions,
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    IOptions<LoginLimitOptions> limits)
{
    public const string Purpose = "login";

    /// <summary>What second-factor codes are counted as: guessing a 6-digit code is held to the sign-in limits, per user and per address.</summary>
    public const string SecondFactorPurpose = "mfa";

    public IReadOnlyList<AttemptCounter> SecondFactorCounters(Guid userId, IPAddress? address) =>
    [
        new(SecondFactorPurpose, "account", userId.ToString(), limits.Value.MaxFailuresPerAccount, limits.Value.Window, limits.Value.Lockout),
        new(SecondFactorPurpose, "ip", AttemptLimiter.AddressSubject(address), limits.Value.MaxFailuresPerIp, limits.Value.Window, limits.Value.Lockout),
    ];

    /// <summary>
    /// Starts a session obtained by <paramref name="method"/> and its first access token. A password sign-in that an org
    /// requiring SSO let through as its break-glass account is written to that org's audit log as it happens.
    /// </summary>
    public async Task<CompletedSignIn> CompleteAsync(
        Guid userId, string email, string method, IReadOnlyList<Guid> breakGlassOrgs, string? userAgent, string? ip, CancellationToken cancellationToken)
    {
        var refresh = await sessions.StartAsync(userId, method, userAgent, ip, cancellationToken);
        if (breakGlassOrgs.Count > 0)
        {
            await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
            var actor = new Caller(ActorTypes.User, userId, []);
            foreach (var org in breakGlassOrgs)
                await AuditLog.AppendAsync(connection, null, new AuditEntry(org, actor, "auth.break_glass_sign_in", "user", userId.ToString(), null,
                    new { method, session_id = refresh.SessionId, email }, ip), cancellationToken);
        }
        return new CompletedSignIn(refresh, await AccessTokenAsync(userId, email, refresh.SessionId, cancellationToken));
    }

    /// <summary>The counters a sign-in by <paramref name="email"/> from <paramref name="address"/> is held to.</summary>
    public IReadOnlyList<AttemptCounter> Counters(string email, IPAddress? address) =>
        [AccountCounter(email), new(Purpose, "ip", AttemptLimiter.AddressSubject(address), limits.Value.MaxFailuresPerIp, limits.Value.Window, limits.Value.Lockout)];

    public AttemptCounter AccountCounter(string email) =>
        new(Purpose, "account", AttemptLimiter.AccountSubject(email), limits.Value.MaxFailuresPerAccount, limits.Value.Window, limits.Value.Lockout);

    /// <summary>Checks <paramref name="password"/> for <paramref name="email"/>: a failure counts against the account and the address; a success clears the account's count.</summary>
    public async Task<PasswordCheck> CheckAsync(string email, string password, IPAddress? address, CancellationToken cancellationToken)
    {
        var counters = Counters(email, address);
        if (await limiter.LockedForAsync(counters) is { } wait) return new PasswordCheck(null, wait);
        var user = await users.FindByEmailAsync(email, cancellationToken);
        return await CheckAsync(user, password, counters);
    }

    /// <summary>Checks the password of a known user (a password change), under the same limits.</summary>
    public async Task<PasswordCheck> CheckAsync(UserAccount user, string password, IPAddress? address)
    {
        var counters = Counters(user.Email, address);
        if (await limiter.LockedForAsync(counters) is { } wait) return new PasswordCheck(null, wait);
        return await CheckAsync(user, password, counters);
    }

    /// <summary>Clears the failures counted against <paramref name="email"/> (after a reset proved the mailbox).</summary>
    public Task ClearAsync(string email) => limiter.ClearAsync(AccountCounter(email));

    public async Task<IssuedAccessToken> AccessTokenAsync(Guid userId, string email, Guid sessionId, CancellationToken cancellationToken) =>
        await issuer.IssueAsync(userId, email, sessionId, await grants.ForUserAsync(userId, cancellationToken), cancellationToken);

    private async Task<PasswordCheck> CheckAsync(UserAccount? user, string password, IReadOnlyList<AttemptCounter> counters)
    {
        if (!UserAccounts.Verify(user, password))
        {
            await limiter.RecordFailureAsync(counters);
            return new PasswordCheck(null, null);
        }
        await limiter.ClearAsync(counters[0]);
        return new PasswordCheck(user, null);
    }
}
