using System.Data;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Identity;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>A user as sign-in needs it. The hash never leaves the server.</summary>
public sealed record UserAccount(Guid Id, string Email, string Name, string PasswordHash, DateTime? DisabledAt)
{
    public bool IsDisabled => DisabledAt is not null;
}

/// <summary>An org the user belongs to, with their org-wide role (null when they hold only workspace or project roles).</summary>
public sealed record UserOrg(Guid Id, string Name, string? Role);

/// <summary>Users in cpdb: lookup by email (case-insensitive, as the unique index) or id, their orgs, password changes.</summary>
public sealed class UserAccounts([FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb)
{
    private const string Columns = "id AS Id, email AS Email, name AS Name, password_hash AS PasswordHash, disabled_at AS DisabledAt";

    // Verified against when the email has no account, so an unknown email costs the same Argon2 work as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => PasswordHasher.Hash(Guid.NewGuid().ToString("N")));

    public async Task<UserAccount?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserAccount>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE lower(email) = lower(@email)", new { email = email.Trim() }, cancellationToken: cancellationToken));
    }

    public async Task<UserAccount?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserAccount>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<UserOrg>> OrgsOfAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<UserOrg>(new CommandDefinition(
            """
            SELECT o.id AS Id, o.name AS Name, m.role AS Role FROM org_members m JOIN orgs o ON o.id = m.org_id
            WHERE m.user_id = @userId ORDER BY o.name, o.id
            """, new { userId }, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// True when <paramref name="password"/> is the password of <paramref name="user"/> and the user may sign in.
    /// Spends one Argon2id verification whatever the outcome, an unknown email included.
    /// </summary>
    public static bool Verify(UserAccount? user, string password)
    {
        var matches = PasswordHasher.Verify(password, user?.PasswordHash ?? DummyHash.Value);
        return matches && user is { IsDisabled: false };
    }

    /// <summary>Sets a new password inside <paramref name="transaction"/> and records it in the audit log of each of the user's orgs.</summary>
    public static async Task SetPasswordAsync(
        IDbConnection connection, IDbTransaction transaction, Guid userId, string newPassword, string action, DateTimeOffset now, string? ip, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @hash, password_changed_at = @now, updated_at = @now WHERE id = @userId",
            new { userId, hash = PasswordHasher.Hash(newPassword), now }, transaction, cancellationToken: cancellationToken));
        var orgs = await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT org_id FROM org_members WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        var actor = new Caller(ActorTypes.User, userId, []);
        foreach (var org in orgs)
        {
            // What changed and when; never the password or its hash.
            await AuditLog.AppendAsync(connection, transaction,
                new AuditEntry(org, actor, action, "user", userId.ToString(), null, new { password_changed_at = now }, ip), cancellationToken);
        }
    }
}
