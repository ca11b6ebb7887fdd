using System.Security.Cryptography;
using Dapper;
using HoneyHive.ControlPlane.Api.Accounts;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Mfa;

/// <summary>The kinds of <see cref="SignInChallenges"/>.</summary>
public static class ChallengeKinds
{
    /// <summary>The password was right; a TOTP or recovery code finishes the sign-in.</summary>
    public const string Mfa = "mfa";

    /// <summary>The password was right, but an org of the user requires MFA they have not set up: set it up to finish.</summary>
    public const string MfaEnrollment = "mfa_enrollment";
}

/// <summary>An open challenge: whose it is, and the orgs whose break-glass rule let the password through.</summary>
public sealed record OpenChallenge(Guid UserId, string Email, Guid[] BreakGlassOrgs);

/// <summary>
/// The step between a correct password and a session when a second factor is due: an opaque token (32 random bytes,
/// stored as its SHA-256), short-lived and spent by the exchange that finishes the sign-in. It grants nothing by itself:
/// it is not a session, carries no grants, and only the finishing routes take it.
/// </summary>
public sealed class SignInChallenges(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    IOptions<MfaOptions> options,
    TimeProvider clock)
{
    public const string Prefix = "hh_mc_";

    /// <summary>A new challenge of <paramref name="kind"/> and its lifetime.</summary>
    public async Task<(string Token, TimeSpan Lifetime)> CreateAsync(Guid userId, string kind, IReadOnlyList<Guid> breakGlassOrgs, CancellationToken cancellationToken)
    {
        var token = Prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var lifetime = kind == ChallengeKinds.MfaEnrollment ? options.Value.EnrollmentLifetime : options.Value.ChallengeLifetime;
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sign_in_challenges (token_hash, user_id, kind, break_glass_orgs, created_at, expires_at)
            VALUES (@hash, @userId, @kind, @breakGlassOrgs, @now, @expires)
            """, new { hash = SessionStore.Hash(token), userId, kind, breakGlassOrgs = breakGlassOrgs.ToArray(), now, expires = now + lifetime },
            cancellationToken: cancellationToken));
        return (token, lifetime);
    }

    /// <summary>The open challenge of <paramref name="token"/> if it is of <paramref name="kind"/>, unused, unexpired and its user still enabled.</summary>
    public async Task<OpenChallenge?> FindAsync(string token, string kind, CancellationToken cancellationToken)
    {
        if (!LooksValid(token)) return null;
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ChallengeRow>(new CommandDefinition(
            """
            SELECT c.user_id AS UserId, u.email AS Email, c.break_glass_orgs AS BreakGlassOrgs
            FROM sign_in_challenges c JOIN users u ON u.id = c.user_id
            WHERE c.token_hash = @hash AND c.kind = @kind AND c.used_at IS NULL AND c.expires_at > @now AND u.disabled_at IS NULL
            """, new { hash = SessionStore.Hash(token), kind, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return row is null ? null : new OpenChallenge(row.UserId, row.Email, row.BreakGlassOrgs);
    }

    /// <summary>Spends the challenge; false when it was already spent or expired (two exchanges raced and this one lost).</summary>
    public async Task<bool> SpendAsync(string token, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sign_in_challenges SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now",
            new { hash = SessionStore.Hash(token), now }, cancellationToken: cancellationToken)) == 1;
    }

    // Settable properties: Dapper does not hand a uuid[] column to a record's constructor.
    private sealed class ChallengeRow
    {
        public Guid UserId { get; set; }

        public string Email { get; set; } = "";

        public Guid[] BreakGlassOrgs { get; set; } = [];
    }

    private static bool LooksValid(string token) => token.Length is > 0 and <= 128 && token.StartsWith(Prefix, StringComparison.Ordinal);
}
