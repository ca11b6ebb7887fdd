using System.Text.Json;
using Dapper;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Platform.Messaging;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>Wakes the outbox publisher when a transition was recorded, so a notification does not wait for its poll.</summary>
public sealed class AlertOutboxSignal
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Signal()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the publisher will look once for all of them.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// Publishes recorded transitions (alert_transitions is the outbox) as <see cref="AlertStageChanged"/> CloudEvents on
/// <see cref="Topics.NotificationsAlert"/>, message id <c>alert-{transition id}</c>, then stamps published_at. Rows are
/// claimed with FOR UPDATE SKIP LOCKED so replicas publish each once; a crash between the publish and the stamp publishes
/// the row again after the restart with the same id, which the message log drops as a duplicate (and the notification
/// service keys its deliveries by it too). Nothing is forgotten: the row stays unstamped until the log has acknowledged
/// it. Muted transitions are recorded, never published.
/// </summary>
public sealed class AlertOutbox(
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    IEventPublisher publisher,
    AlertOutboxSignal signal,
    AlertOptions options,
    TimeProvider clock,
    ILogger<AlertOutbox> logger) : BackgroundService
{
    public const string Source = "/honeyhive/dataplane/alerts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await PublishPendingAsync(stoppingToken) == options.PublishBatchSize)
                {
                    // A full batch: there may be more.
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or MessageLogUnavailableException or TimeoutException)
            {
                logger.LogWarning("Could not publish alert notifications ({Reason}); retrying", ex.Message);
            }
            await signal.WaitAsync(options.PublishInterval, stoppingToken);
        }
    }

    /// <summary>Publishes one batch of unpublished, unmuted transitions; returns how many.</summary>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(Guid Id, Guid AlertId, Guid ProjectId, string From, string To, string Result, DateTime OccurredAt, string Definition)>(new CommandDefinition(
            """
            SELECT t.id, t.alert_id, t.project_id, t.from_stage, t.to_stage, t.result::text, t.occurred_at, a.definition::text
            FROM alert_transitions t JOIN alerts a ON a.id = t.alert_id
            WHERE t.published_at IS NULL AND NOT t.muted
            ORDER BY t.occurred_at
            LIMIT @limit
            FOR UPDATE OF t SKIP LOCKED
            """, new { limit = options.PublishBatchSize }, transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0) return 0;

        var now = clock.GetUtcNow();
        var messages = rows.Select(r =>
        {
            var alert = AlertJson.Definition(r.Definition);
            var data = new AlertStageChanged(
                r.Id.ToString(), r.AlertId.ToString(), r.ProjectId.ToString(), alert.Name, alert.AlertType,
                AlertStageChanged.StageOf(r.To), r.From, JsonSerializer.Deserialize<AlertResult>(r.Result, AlertJson.Options)!,
                new DateTimeOffset(DateTime.SpecifyKind(r.OccurredAt, DateTimeKind.Utc)));
            var envelope = new CloudEvent<AlertStageChanged>(data.Id, Source, AlertStageChanged.EventType, data) { Topic = Topics.NotificationsAlert, Time = now };
            return new OutgoingMessage(Topics.NotificationsAlert, data.Id, JsonSerializer.SerializeToUtf8Bytes(envelope));
        }).ToList();
        await publisher.PublishBatchAsync(messages, cancellationToken);

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alert_transitions SET published_at = @now WHERE id = ANY(@ids)",
            new { now = now.UtcDateTime, ids = rows.Select(r => r.Id).ToArray() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        logger.LogDebug("Published {Count} alert notifications", rows.Count);
        return rows.Count;
    }
}
