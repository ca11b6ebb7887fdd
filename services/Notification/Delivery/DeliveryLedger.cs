using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HoneyHive.Notification.Delivery;

/// <summary>
/// The ledger of deliveries in cpdb (<c>notification_deliveries</c>): one row per delivery id, <c>pending</c> while it is
/// being tried, then <c>sent</c> or <c>dead</c>. A delivery is looked up before it is sent and skipped unless pending, so
/// a redelivered message (a JetStream redelivery, a replayed dead letter, a re-published stage change) sends nothing that
/// went out already. The one window left is a crash after the receiver took it and before <see cref="SentAsync"/>: the
/// delivery is sent again then, with the same <c>X-HoneyHive-Delivery</c> id (and mail Message-Id) to fold it on.
/// </summary>
public sealed class DeliveryLedger([FromKeyedServices(NotificationModule.Database)] NpgsqlDataSource cpdb)
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Dead = "dead";

    /// <summary>The delivery's row, created pending when it is new: its status and the tries it had.</summary>
    public async Task<(string Status, int Attempts)> ClaimAsync(Delivery delivery, Guid? orgId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(string, int)>(new CommandDefinition(
            """
            WITH inserted AS (
                INSERT INTO notification_deliveries (delivery_id, message_id, org_id, channel, destination, status)
                VALUES (@Id, @MessageId, @orgId, @Kind, @Display, 'pending')
                ON CONFLICT (delivery_id) DO NOTHING
                RETURNING status, attempts)
            SELECT status, attempts FROM inserted
            UNION ALL
            SELECT status, attempts FROM notification_deliveries WHERE delivery_id = @Id
            LIMIT 1
            """, new { delivery.Id, delivery.MessageId, orgId, delivery.Kind, delivery.Display }, cancellationToken: cancellationToken));
    }

    public Task SentAsync(Delivery delivery, CancellationToken cancellationToken) =>
        SetAsync(delivery.Id, Sent, null, cancellationToken);

    public Task FailedAsync(Delivery delivery, string error, CancellationToken cancellationToken) =>
        SetAsync(delivery.Id, Pending, error, cancellationToken);

    public Task DeadAsync(Delivery delivery, string error, CancellationToken cancellationToken) =>
        SetAsync(delivery.Id, Dead, error, cancellationToken);

    private async Task SetAsync(string id, string status, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE notification_deliveries
            SET status = @status, attempts = attempts + 1, last_error = @error,
                sent_at = CASE WHEN @status = 'sent' THEN now() ELSE sent_at END
            WHERE delivery_id = @id AND status = 'pending'
            """, new { id, status, error = error is { Length: > 500 } ? error[..500] : error }, cancellationToken: cancellationToken));
    }
}
