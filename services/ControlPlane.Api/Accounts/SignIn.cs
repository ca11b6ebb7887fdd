using System.Net;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Tokens;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>The outcome of a password check: the user, or how long the caller is locked out, or neither (refused).</summary>
public sealed record PasswordCheck(UserAccount? User, TimeSpan? RetryAfter);

/// <summary>
/// Checking a password under the attempt limits, and issuing access tokens with the user's live grants. Every
/// refusal looks the same whether or not the email has an account: same answer, same Argon2 work, same counters.
/// </summary>
public sealed class SignIn(
    UserAccounts users,
    AttemptLimiter limiter,
    AccessTokenIssuer issuer,
    GrantResolver grants,
    IOptions<LoginLimitOptions> limits)
{
    public const string Purpose = "login";

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
