using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Notifications;
using HoneyHive.ControlPlane.Api.OrgSecurity;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>The user whose password a reset token set.</summary>
public sealed record CompletedReset(Guid UserId, string Email);

/// <summary>
/// Password reset tokens: 32 random bytes, stored as their SHA-256 in <c>password_resets</c>, single use, expiring
/// after <see cref="PasswordResetOptions.TokenLifetime"/>. Completing a reset sets the password, spends every open
/// token of the user and ends all their sessions, in one transaction.
/// </summary>
public sealed class PasswordResets(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    SessionStore sessions,
    SignInPolicy policy,
    IOptions<PasswordResetOptions> options,
    TimeProvider clock)
{
    public const string Prefix = "hh_pr_";

    /// <summary>A new token for <paramref name="userId"/> and when it expires.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateAsync(Guid userId, CancellationToken cancellationToken)
    {
        var token = Prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var expires = now + options.Value.TokenLifetime;
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (@hash, @userId, @now, @expires)",
            new { hash = SessionStore.Hash(token), userId, now, expires }, cancellationToken: cancellationToken));
        return (token, expires);
    }

    /// <summary>Sets <paramref name="newPassword"/> for the owner of <paramref name="token"/>; null when the token is unknown, used or expired.</summary>
    public async Task<CompletedReset?> CompleteAsync(string token, string newPassword, string? ip, CancellationToken cancellationToken)
    {
        if (token.Length is 0 or > 128 || !token.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var now = clock.GetUtcNow();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Spent in the same statement that finds it: two requests with one token cannot both succeed.
        var user = await connection.QuerySingleOrDefaultAsync<CompletedReset>(new CommandDefinition(
            """
            UPDATE password_resets r SET used_at = @now FROM users u
            WHERE r.token_hash = @hash AND r.used_at IS NULL AND r.expires_at > @now AND u.id = r.user_id AND u.disabled_at IS NULL
            RETURNING u.id AS UserId, u.email AS Email
            """, new { hash = SessionStore.Hash(token), now }, transaction, cancellationToken: cancellationToken));
        if (user is null) return null;
        // A token mailed before an org of the user required SSO opens nothing now (the transaction rolls back unspent).
        if (SignInPolicy.SsoClosedBy(await policy.OrgsOfAsync(user.UserId, cancellationToken)) is { } closed)
            throw SignInPolicy.SsoRequired(closed, "password resets are closed to its members.");

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE password_resets SET used_at = @now WHERE user_id = @userId AND used_at IS NULL",
            new { user.UserId, now }, transaction, cancellationToken: cancellationToken));
        await UserAccounts.SetPasswordAsync(connection, transaction, user.UserId, newPassword, "user.password_reset", now, ip, cancellationToken);
        await sessions.RevokeAllAsync(user.UserId, except: null, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return user;
    }
}

/// <summary>
/// Sends reset mails off the request path: the route answers 202 at once for every email, and this looks the address
/// up, creates the token and publishes the mail afterwards. So neither the answer nor its timing tells whether the
/// address has an account.
/// </summary>
public sealed class PasswordResetMailer(
    UserAccounts users,
    PasswordResets resets,
    SignInPolicy policy,
    IEventPublisher publisher,
    IOptions<PasswordResetOptions> options,
    TimeProvider clock,
    ILogger<PasswordResetMailer> logger) : BackgroundService
{
    public const string Source = "/honeyhive/control-plane/accounts";

    // Bounded: a flood of requests (already throttled per email and address) cannot grow memory; excess is dropped.
    private readonly Channel<string> requests = Channel.CreateBounded<string>(new BoundedChannelOptions(1024)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>Queues a reset for <paramref name="email"/>; false when the queue is full.</summary>
    public bool Enqueue(string email) => requests.Writer.TryWrite(email);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var email in requests.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await SendAsync(email, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The user asks again; the answer they got could not depend on this anyway.
                logger.LogError(ex, "A password reset mail could not be sent");
            }
        }
    }

    private async Task SendAsync(string email, CancellationToken cancellationToken)
    {
        var user = await users.FindByEmailAsync(email, cancellationToken);
        if (user is null || user.IsDisabled) return;
        // The route answered like any other (it must not tell who has an account); no reset is made for a member of an
        // org that requires SSO, whose password opens nothing.
        if (SignInPolicy.SsoClosedBy(await policy.OrgsOfAsync(user.Id, cancellationToken)) is not null)
        {
            logger.LogInformation("No password reset for user {UserId}: an org of theirs requires single sign-on", user.Id);
            return;
        }
        var (token, expires) = await resets.CreateAsync(user.Id, cancellationToken);
        var url = options.Value.PublicUrl.TrimEnd('/') + options.Value.ResetPath + "?token=" + Uri.EscapeDataString(token);
        var id = Guid.CreateVersion7().ToString();
        var envelope = new CloudEvent<PasswordResetEmail>(id, Source, PasswordResetEmail.EventType,
            new PasswordResetEmail(PasswordResetEmail.TemplateName, user.Email, url, expires))
        {
            Topic = Topics.NotificationsEmail,
            Time = clock.GetUtcNow(),
        };
        await publisher.PublishAsync(new OutgoingMessage(Topics.NotificationsEmail, id, JsonSerializer.SerializeToUtf8Bytes(envelope)), cancellationToken);
        logger.LogInformation("Published a password reset mail for user {UserId}", user.Id);
    }
}
