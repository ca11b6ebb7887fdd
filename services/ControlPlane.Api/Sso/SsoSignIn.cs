using System.Security.Cryptography;
using Dapper;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Identity;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Sso;

/// <summary>
/// An identity a provider vouched for, after the protocol checked everything it can (OIDC: the ID token's signature,
/// issuer, audience, lifetime and nonce; SAML: the signed assertion, audience, recipient, conditions and replay).
/// </summary>
/// <param name="ConnectionId">The connection whose provider vouched (from the protocol's own state, never from the provider's answer).</param>
/// <param name="Subject">The provider's stable id of the user (OIDC <c>sub</c>, SAML <c>NameID</c>).</param>
/// <param name="Email">The email the provider asserts.</param>
/// <param name="EmailVerified">Whether the provider says it verified the email (SAML: true when the IdP is trusted to assert it).</param>
/// <param name="Name">A display name, if the provider sent one.</param>
public sealed record SsoIdentity(Guid ConnectionId, string Subject, string Email, bool EmailVerified, string? Name);

/// <summary>A finished SSO sign-in: the user and the new session's refresh token (the caller sets the cookie).</summary>
public sealed record SsoSession(Guid UserId, string Email, RefreshToken Refresh, bool Provisioned);

/// <summary>Why an SSO sign-in was refused: <see cref="Reason"/> is a short code the sign-in page explains; the message is for the log.</summary>
public sealed class SsoSignInRefusedException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The protocol-neutral end of every SSO sign-in (OIDC now, SAML next): given an <see cref="SsoIdentity"/>, finds or
/// provisions the user just in time and starts their session. One call, <see cref="SignInAsync"/>.
///
/// Rules, each a refusal (<see cref="SsoSignInRefusedException"/>) when broken:
/// <list type="bullet">
/// <item>The connection must be enabled, and the email verified by the provider and in one of the connection's
/// email domains. Domains are unique across enabled connections, so one org's provider cannot sign in users of a
/// domain another org routes (the "IdP of another org" attack).</item>
/// <item>A user is found by the (connection, subject) link first; else by email. An existing account found by email is
/// linked only when it is already a member of the connection's org (an invited member signing in through SSO for the
/// first time). An account of other orgs only is refused: a provider may not take over an account its org does not
/// hold.</item>
/// <item>A new user is created with no usable password and added to the org with the connection's default role,
/// exactly once (the link's primary key and the email's unique index make a race end in one user).</item>
/// </list>
/// Audited in the connection's org: <c>user.provisioned</c> when a user or a membership is created, and
/// <c>auth.sso_sign_in</c> for every sign-in (with the method, e.g. <c>sso:oidc</c>).
/// </summary>
public sealed class SsoSignIn(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    SessionStore sessions,
    TimeProvider clock,
    ILogger<SsoSignIn> logger)
{
    /// <summary>Signs in <paramref name="identity"/>: the user (provisioned if new) and a new session.</summary>
    /// <exception cref="SsoSignInRefusedException">The identity may not sign in; nothing was changed.</exception>
    public async Task<SsoSession> SignInAsync(SsoIdentity identity, string? userAgent, string? ip, CancellationToken cancellationToken)
    {
        try
        {
            return await SignInOnceAsync(identity, userAgent, ip, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Two first sign-ins of one user raced and the other created the user or the link: this one now finds it.
            return await SignInOnceAsync(identity, userAgent, ip, cancellationToken);
        }
    }

    private async Task<SsoSession> SignInOnceAsync(SsoIdentity identity, string? userAgent, string? ip, CancellationToken cancellationToken)
    {
        var email = identity.Email.Trim().ToLowerInvariant();
        if (identity.Subject.Length is 0 or > 255) throw new SsoSignInRefusedException("subject", "The provider sent no usable subject.");
        if (!System.Net.Mail.MailAddress.TryCreate(email, out var address) || address.Address != email || email.Length > 320)
            throw new SsoSignInRefusedException("email", "The provider sent no usable email.");
        if (!identity.EmailVerified) throw new SsoSignInRefusedException("email_unverified", $"The provider does not vouch for {email}.");

        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sso = await connection.QuerySingleOrDefaultAsync<SsoConnectionRow>(new CommandDefinition(
            $"SELECT {SsoConnectionRow.Columns} FROM sso_connections WHERE id = @id AND enabled AND deleted_at IS NULL FOR SHARE",
            new { id = identity.ConnectionId }, transaction, cancellationToken: cancellationToken))
            ?? throw new SsoSignInRefusedException("connection", $"SSO connection {identity.ConnectionId} is not enabled.");
        var domain = address.Host;
        if (!sso.EmailDomains.Contains(domain, StringComparer.Ordinal))
            throw new SsoSignInRefusedException("email_domain", $"{domain} is not a domain of SSO connection {sso.Id}; its provider may not sign in {email}.");

        var userId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "SELECT user_id FROM sso_identities WHERE connection_id = @connection AND subject = @subject",
            new { connection = sso.Id, subject = identity.Subject }, transaction, cancellationToken: cancellationToken));
        var provisioned = false;
        if (userId is null)
        {
            userId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "SELECT id FROM users WHERE lower(email) = @email", new { email }, transaction, cancellationToken: cancellationToken));
            if (userId is { } existing && !await IsMemberAsync(connection, transaction, sso.OrgId, existing, cancellationToken))
                throw new SsoSignInRefusedException("account_exists", $"An account with {email} exists outside the connection's org; an org admin must invite it before it signs in through SSO.");
            if (userId is null)
            {
                userId = await CreateUserAsync(connection, transaction, email, identity.Name, now, cancellationToken);
                provisioned = true;
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sso_identities (connection_id, subject, user_id, email, created_at, last_sign_in_at) VALUES (@connection, @subject, @user, @email, @now, @now)",
                new { connection = sso.Id, subject = identity.Subject, user = userId, email, now }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sso_identities SET email = @email, last_sign_in_at = @now WHERE connection_id = @connection AND subject = @subject",
                new { connection = sso.Id, subject = identity.Subject, email, now }, transaction, cancellationToken: cancellationToken));
        }

        var user = await connection.QuerySingleAsync<(string Email, DateTime? DisabledAt)>(new CommandDefinition(
            "SELECT email, disabled_at FROM users WHERE id = @id", new { id = userId }, transaction, cancellationToken: cancellationToken));
        if (user.DisabledAt is not null) throw new SsoSignInRefusedException("account_disabled", $"The account of {email} is disabled.");

        var actor = new Caller(ActorTypes.User, userId.Value, []);
        if (!await IsMemberAsync(connection, transaction, sso.OrgId, userId.Value, cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO org_members (org_id, user_id, role) VALUES (@org, @user, @role)",
                new { org = sso.OrgId, user = userId, role = sso.DefaultRole }, transaction, cancellationToken: cancellationToken));
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(sso.OrgId, actor, "user.provisioned", "user", userId.Value.ToString(), null,
                new { email, role = sso.DefaultRole, sso_connection_id = sso.Id, created_user = provisioned }, ip), cancellationToken);
            provisioned = true;
        }
        await transaction.CommitAsync(cancellationToken);

        // The one place an SSO session starts: sessions gain a sign-in method with MFA; until then the audit entry records it.
        var refresh = await sessions.StartAsync(userId.Value, userAgent, ip, cancellationToken);
        await AuditLog.AppendAsync(connection, null, new AuditEntry(sso.OrgId, actor, "auth.sso_sign_in", SsoConnectionsApi.TargetType, sso.Id.ToString(), null,
            new { method = $"sso:{sso.Protocol}", session_id = refresh.SessionId, subject = identity.Subject, email }, ip), cancellationToken);
        logger.LogInformation("User {UserId} signed in through SSO connection {ConnectionId} ({Protocol})", userId, sso.Id, sso.Protocol);
        return new SsoSession(userId.Value, user.Email, refresh, provisioned);
    }

    private static Task<bool> IsMemberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, Guid userId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM org_members WHERE org_id = @orgId AND user_id = @userId)", new { orgId, userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>A user with no usable password: the hash of 32 random bytes nobody ever sees (a reset can set one later).</summary>
    private static async Task<Guid> CreateUserAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string email, string? name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var unusable = PasswordHasher.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO users (id, email, password_hash, name, created_at, updated_at) VALUES (@id, @email, @unusable, @name, @now, @now)",
            new { id, email, unusable, name = (name ?? "").Trim() is { Length: > 0 and <= 200 } n ? n : email.Split('@')[0], now }, transaction, cancellationToken: cancellationToken));
        return id;
    }
}
