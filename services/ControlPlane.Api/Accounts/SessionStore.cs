using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>A refresh token just issued: the value (shown once, then only its hash is kept) and its session.</summary>
public sealed record RefreshToken(string Value, Guid SessionId, DateTimeOffset ExpiresAt);

/// <summary>A refresh that succeeded: whose session it is, how it was obtained, and the token that replaces the one presented.</summary>
public sealed record RotatedSession(Guid UserId, string Email, string Method, RefreshToken Next);

/// <summary>How a session was obtained (<c>refresh_tokens.method</c>): SSO enforcement closes the others for an org's members.</summary>
public static class SessionMethods
{
    /// <summary>Email and password alone.</summary>
    public const string Password = "password";

    /// <summary>Email and password, then a TOTP or recovery code.</summary>
    public const string Mfa = "mfa";

    public const string SsoOidc = "sso-oidc";
    public const string SsoSaml = "sso-saml";

    public static IReadOnlyList<string> All { get; } = [Password, Mfa, SsoOidc, SsoSaml];

    /// <summary>True for the single sign-on methods, the only ones an org that requires SSO lets its members use.</summary>
    public static bool IsSso(string? method) => method is SsoOidc or SsoSaml;
}

/// <summary>
/// Sign-in sessions as families of refresh tokens (<c>refresh_tokens</c>; a session id is its family id). A refresh
/// token is 32 random bytes, stored as its SHA-256. Each refresh rotates it; presenting a rotated token again means
/// two parties hold it (one stole it), so the whole family is revoked and both must sign in again (OAuth 2.0
/// Security BCP, refresh token rotation).
/// </summary>
public sealed class SessionStore(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    IOptions<SessionOptions> options,
    TimeProvider clock,
    ILogger<SessionStore> logger)
{
    /// <summary>Marks our refresh tokens (and lets secret scanners recognise them).</summary>
    public const string Prefix = "hh_rt_";

    /// <summary>
    /// Starts a session of <paramref name="userId"/> obtained by <paramref name="method"/> (one of <see cref="SessionMethods"/>):
    /// the SSO sign-ins call this once the identity provider vouched for the user.
    /// </summary>
    public Task<RefreshToken> IssueAsync(Guid userId, string method, CancellationToken cancellationToken) =>
        StartAsync(userId, method, null, null, cancellationToken);

    public async Task<RefreshToken> StartAsync(Guid userId, string method, string? userAgent, string? ip, CancellationToken cancellationToken)
    {
        if (!SessionMethods.All.Contains(method)) throw new ArgumentOutOfRangeException(nameof(method), method, "Not a session method.");
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await InsertAsync(connection, null, userId, Guid.CreateVersion7(), method, now, now + options.Value.RefreshLifetime, userAgent, ip, cancellationToken);
    }

    /// <summary>How the session <paramref name="sessionId"/> of <paramref name="userId"/> was obtained, or null when there is no such session.</summary>
    public async Task<string?> MethodOfAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT method FROM refresh_tokens WHERE family_id = @sessionId AND user_id = @userId LIMIT 1",
            new { sessionId, userId }, cancellationToken: cancellationToken));
    }

    /// <summary>The next token of the session of <paramref name="presented"/>, or null when it is unknown, expired, revoked or reused.</summary>
    public async Task<RotatedSession?> RotateAsync(string presented, string? userAgent, string? ip, CancellationToken cancellationToken)
    {
        if (!LooksValid(presented)) return null;
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locked, so two refreshes racing with one token cannot both rotate it: the second sees it rotated.
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(new CommandDefinition(
            """
            SELECT t.id AS Id, t.family_id AS FamilyId, t.user_id AS UserId, t.expires_at AS ExpiresAt, t.rotated_at AS RotatedAt,
                   t.revoked_at AS RevokedAt, t.method AS Method, u.email AS Email, u.disabled_at AS DisabledAt
            FROM refresh_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @hash FOR UPDATE OF t
            """, new { hash = Hash(presented) }, transaction, cancellationToken: cancellationToken));
        if (row is null) return null;

        if (row.RotatedAt is not null)
        {
            var revoked = await RevokeFamilyAsync(connection, transaction, row.FamilyId, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (revoked > 0) logger.LogWarning("A rotated refresh token of session {SessionId} was presented again; the session is revoked", row.FamilyId);
            return null;
        }
        if (row.RevokedAt is not null || row.ExpiresAt <= now.UtcDateTime || row.DisabledAt is not null) return null;

        var started = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "SELECT min(created_at) FROM refresh_tokens WHERE family_id = @family", new { family = row.FamilyId }, transaction, cancellationToken: cancellationToken));
        var end = new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc)) + options.Value.MaxLifetime;
        if (end <= now) return null;

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_tokens SET rotated_at = @now WHERE id = @id", new { now, id = row.Id }, transaction, cancellationToken: cancellationToken));
        var expires = now + options.Value.RefreshLifetime;
        var next = await InsertAsync(connection, transaction, row.UserId, row.FamilyId, row.Method, now, expires < end ? expires : end, userAgent, ip, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RotatedSession(row.UserId, row.Email, row.Method, next);
    }

    /// <summary>The session of a refresh token (rotated or not), or null when it is unknown.</summary>
    public async Task<(Guid SessionId, Guid UserId)?> SessionOfAsync(string presented, CancellationToken cancellationToken)
    {
        if (!LooksValid(presented)) return null;
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<(Guid, Guid)?>(new CommandDefinition(
            "SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = @hash", new { hash = Hash(presented) }, cancellationToken: cancellationToken));
    }

    /// <summary>Ends one session of <paramref name="userId"/>.</summary>
    public async Task RevokeAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_tokens SET revoked_at = @now WHERE family_id = @sessionId AND user_id = @userId AND revoked_at IS NULL",
            new { sessionId, userId, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    /// <summary>Ends every session of <paramref name="userId"/> but <paramref name="except"/>; inside <paramref name="transaction"/> when given.</summary>
    public async Task<int> RevokeAllAsync(Guid userId, Guid? except, NpgsqlConnection? connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        const string Sql = "UPDATE refresh_tokens SET revoked_at = @now WHERE user_id = @userId AND revoked_at IS NULL AND (@except::uuid IS NULL OR family_id <> @except)";
        var args = new { userId, except, now = clock.GetUtcNow() };
        if (connection is not null) return await connection.ExecuteAsync(new CommandDefinition(Sql, args, transaction, cancellationToken: cancellationToken));
        await using var own = await cpdb.OpenConnectionAsync(cancellationToken);
        return await own.ExecuteAsync(new CommandDefinition(Sql, args, cancellationToken: cancellationToken));
    }

    private static Task<int> RevokeFamilyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid family, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_tokens SET revoked_at = @now WHERE family_id = @family AND revoked_at IS NULL",
            new { family, now }, transaction, cancellationToken: cancellationToken));

    private static async Task<RefreshToken> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, Guid family, string method, DateTimeOffset now, DateTimeOffset expires,
        string? userAgent, string? ip, CancellationToken cancellationToken)
    {
        var value = Prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at, user_agent, ip, method)
            VALUES (@id, @family, @userId, @hash, @now, @expires, @userAgent, @ip, @method)
            """,
            new { id = Guid.CreateVersion7(), family, userId, hash = Hash(value), now, expires, userAgent = Truncate(userAgent, 512), ip, method },
            transaction, cancellationToken: cancellationToken));
        return new RefreshToken(value, family, expires);
    }

    private static bool LooksValid(string presented) => presented.Length is > 0 and <= 128 && presented.StartsWith(Prefix, StringComparison.Ordinal);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];

    private sealed record TokenRow(Guid Id, Guid FamilyId, Guid UserId, DateTime ExpiresAt, DateTime? RotatedAt, DateTime? RevokedAt, string Method, string Email, DateTime? DisabledAt);
}
