using Dapper;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// What makes a SAML message work once, in cpdb (durable, shared by every cp-api instance, so a replay cannot be
/// sent to another instance or across a restart): the AuthnRequest IDs we issued, each consumed by the first
/// Response naming it, and the assertion IDs already used, each kept until its assertion expires.
/// </summary>
public sealed class SamlReplayGuard(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    TimeProvider clock)
{
    /// <summary>Remembers that we sent AuthnRequest <paramref name="requestId"/> on <paramref name="connectionId"/>, until <paramref name="expiresAt"/>.</summary>
    public async Task IssueRequestAsync(Guid connectionId, string requestId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        // Expired rows go here rather than in a sweeper: every sign-in start pays a little, and nothing else has to run.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM saml_requests WHERE expires_at < @now;
            DELETE FROM saml_used_assertions WHERE keep_until < @now;
            INSERT INTO saml_requests (connection_id, request_id, expires_at) VALUES (@connectionId, @requestId, @expiresAt);
            """,
            new { connectionId, requestId, expiresAt, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    /// <summary>True once for a request we issued on this connection and that has not expired; false for anything else.</summary>
    public async Task<bool> ConsumeRequestAsync(Guid connectionId, string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        // DELETE ... RETURNING: of two Responses racing with one InResponseTo, exactly one gets the row.
        var deleted = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "DELETE FROM saml_requests WHERE connection_id = @connectionId AND request_id = @requestId RETURNING expires_at",
            new { connectionId, requestId }, cancellationToken: cancellationToken));
        return deleted is { } expires && new DateTimeOffset(DateTime.SpecifyKind(expires, DateTimeKind.Utc)) > clock.GetUtcNow();
    }

    /// <summary>Records that assertion <paramref name="assertionId"/> was used; false when it already was (a replay).</summary>
    public async Task<bool> UseAssertionAsync(Guid connectionId, string assertionId, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        // A row whose time ran out no longer counts: its assertion is expired and is refused on its dates instead.
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO saml_used_assertions (connection_id, assertion_id, keep_until) VALUES (@connectionId, @assertionId, @keepUntil)
            ON CONFLICT (connection_id, assertion_id) DO UPDATE SET keep_until = EXCLUDED.keep_until
                WHERE saml_used_assertions.keep_until < @now
            """,
            new { connectionId, assertionId, keepUntil, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return inserted == 1;
    }
}
