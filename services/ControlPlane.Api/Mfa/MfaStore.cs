using System.Data;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.Platform.Security;
using Npgsql;
using OtpNet;

namespace HoneyHive.ControlPlane.Api.Mfa;

/// <summary>A user's MFA as the routes show it; never the secret.</summary>
public sealed record MfaState(bool Enabled, bool Pending, DateTimeOffset? ConfirmedAt, int RecoveryCodesRemaining);

/// <summary>
/// Each user's authenticator in cpdb (<c>user_mfa</c>, <c>mfa_recovery_codes</c>). The TOTP secret is sealed under the CP
/// master key and bound to its user (a sealed value copied to another row does not open). A TOTP code is accepted only
/// for a time step after the last one accepted, in the same UPDATE that records it, so a code works once even when two
/// requests race with it. Recovery codes are spent the same way: the UPDATE that finds one marks it used.
/// </summary>
public sealed class MfaStore(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring,
    TimeProvider clock)
{
    public const int RecoveryCodeCount = 10;

    public async Task<MfaState> StateAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(DateTime? ConfirmedAt, bool Exists)>(new CommandDefinition(
            "SELECT confirmed_at, true FROM user_mfa WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken));
        var remaining = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @userId AND used_at IS NULL", new { userId }, cancellationToken: cancellationToken));
        var confirmed = row.ConfirmedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : (DateTimeOffset?)null;
        return new MfaState(confirmed is not null, row.Exists && confirmed is null, confirmed, confirmed is null ? 0 : remaining);
    }

    public async Task<bool> IsEnabledAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM user_mfa WHERE user_id = @userId AND confirmed_at IS NOT NULL)", new { userId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Starts (or restarts) enrolment with a new secret, returned this once; null when the user already has a confirmed
    /// authenticator (it must be disabled first, so a stolen session cannot silently replace it).
    /// </summary>
    public async Task<string?> BeginEnrollmentAsync(Guid userId, CancellationToken cancellationToken)
    {
        var secret = TotpCodes.NewSecret();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var written = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO user_mfa (user_id, totp_secret_sealed, created_at, updated_at) VALUES (@userId, @sealedSecret, @now, @now)
            ON CONFLICT (user_id) DO UPDATE SET totp_secret_sealed = EXCLUDED.totp_secret_sealed, updated_at = EXCLUDED.updated_at
            WHERE user_mfa.confirmed_at IS NULL
            """, new { userId, sealedSecret = Seal(userId, secret), now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return written == 1 ? secret : null;
    }

    /// <summary>
    /// Confirms a pending enrolment with its first valid code, and issues the recovery codes (returned this once), in one
    /// transaction that also audits it. False when nothing is pending or the code does not match.
    /// </summary>
    public async Task<IReadOnlyList<string>?> ConfirmEnrollmentAsync(Guid userId, string code, string? ip, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sealedSecret = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT totp_secret_sealed FROM user_mfa WHERE user_id = @userId AND confirmed_at IS NULL FOR UPDATE",
            new { userId }, transaction, cancellationToken: cancellationToken));
        if (sealedSecret is null || TotpCodes.MatchingStep(Open(userId, sealedSecret), code, now) is not { } step) return null;

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE user_mfa SET confirmed_at = @now, last_used_step = @step, updated_at = @now WHERE user_id = @userId",
            new { userId, now, step }, transaction, cancellationToken: cancellationToken));
        var codes = await ReplaceRecoveryCodesAsync(connection, transaction, userId, now, cancellationToken);
        await AuditAsync(connection, transaction, userId, "user.mfa_enabled", new { mfa = "totp", confirmed_at = now, recovery_codes = codes.Count }, ip, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return codes;
    }

    /// <summary>True when <paramref name="code"/> is a current code of the user's confirmed authenticator not used before (its step is then spent).</summary>
    public async Task<bool> VerifyTotpAsync(Guid userId, string code, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var sealedSecret = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT totp_secret_sealed FROM user_mfa WHERE user_id = @userId AND confirmed_at IS NOT NULL", new { userId }, cancellationToken: cancellationToken));
        if (sealedSecret is null || TotpCodes.MatchingStep(Open(userId, sealedSecret), code, now) is not { } step) return false;
        // The replay guard: only a step after the last accepted one, decided by the row itself.
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE user_mfa SET last_used_step = @step, updated_at = @now
            WHERE user_id = @userId AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < @step)
            """, new { userId, step, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>True when <paramref name="code"/> is an unused recovery code of the user; it is spent by this call.</summary>
    public async Task<bool> UseRecoveryCodeAsync(Guid userId, string code, string? ip, CancellationToken cancellationToken)
    {
        var normalized = NormalizeRecoveryCode(code);
        if (normalized is null) return false;
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var used = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE mfa_recovery_codes SET used_at = @now
            WHERE user_id = @userId AND code_hash = @hash AND used_at IS NULL
              AND EXISTS (SELECT 1 FROM user_mfa WHERE user_id = @userId AND confirmed_at IS NOT NULL)
            """, new { userId, hash = RecoveryHash(userId, normalized), now }, transaction, cancellationToken: cancellationToken));
        if (used != 1) return false;
        var remaining = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @userId AND used_at IS NULL", new { userId }, transaction, cancellationToken: cancellationToken));
        await AuditAsync(connection, transaction, userId, "user.mfa_recovery_code_used", new { recovery_codes_remaining = remaining }, ip, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>New recovery codes in place of every old one (returned this once); null when MFA is not enabled.</summary>
    public async Task<IReadOnlyList<string>?> RegenerateRecoveryCodesAsync(Guid userId, string? ip, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var enabled = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM user_mfa WHERE user_id = @userId AND confirmed_at IS NOT NULL)", new { userId }, transaction, cancellationToken: cancellationToken));
        if (!enabled) return null;
        var codes = await ReplaceRecoveryCodesAsync(connection, transaction, userId, now, cancellationToken);
        await AuditAsync(connection, transaction, userId, "user.mfa_recovery_codes_regenerated", new { recovery_codes = codes.Count }, ip, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return codes;
    }

    /// <summary>Removes the authenticator (confirmed or pending) and the recovery codes; false when there was none.</summary>
    public async Task<bool> DisableAsync(Guid userId, string? ip, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_mfa WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mfa_recovery_codes WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        if (removed == 0) return false;
        await AuditAsync(connection, transaction, userId, "user.mfa_disabled", new { mfa = "none" }, ip, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Lowercase base32 without separators, or null when it cannot be a recovery code.</summary>
    public static string? NormalizeRecoveryCode(string code)
    {
        var compact = new string([.. code.Where(c => c is not ('-' or ' '))]).ToLowerInvariant();
        return compact.Length == 16 && compact.All(c => c is >= 'a' and <= 'z' or >= '2' and <= '7') ? compact : null;
    }

    private async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mfa_recovery_codes WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        var codes = new List<string>(RecoveryCodeCount);
        for (var i = 0; i < RecoveryCodeCount; i++)
        {
            // 80 random bits: far beyond guessing within the attempt limits, and beyond brute-forcing a leaked SHA-256.
            var compact = Base32Encoding.ToString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO mfa_recovery_codes (id, user_id, code_hash, created_at) VALUES (@id, @userId, @hash, @now)",
                new { id = Guid.CreateVersion7(), userId, hash = RecoveryHash(userId, compact), now }, transaction, cancellationToken: cancellationToken));
            codes.Add($"{compact[..4]}-{compact[4..8]}-{compact[8..12]}-{compact[12..]}");
        }
        return codes;
    }

    // Bound to the user, so a hash copied to another user's row matches nothing.
    private static byte[] RecoveryHash(Guid userId, string normalized) => SHA256.HashData(Encoding.UTF8.GetBytes($"{userId:N}:{normalized}"));

    private string Seal(Guid userId, string secret) => SealedText.Seal(ring, secret, AssociatedData(userId));

    private string Open(Guid userId, string sealedSecret) => SealedText.Open(ring, sealedSecret, AssociatedData(userId));

    private static string AssociatedData(Guid userId) => $"user-totp:{userId}";

    /// <summary>Records a change to the user's second factor in the audit log of each of their orgs (never a secret or code).</summary>
    private static async Task AuditAsync(IDbConnection connection, IDbTransaction transaction, Guid userId, string action, object after, string? ip, CancellationToken cancellationToken)
    {
        var orgs = await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT org_id FROM org_members WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        var actor = new Caller(ActorTypes.User, userId, []);
        foreach (var org in orgs)
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org, actor, action, "user", userId.ToString(), null, after, ip), cancellationToken);
    }
}
