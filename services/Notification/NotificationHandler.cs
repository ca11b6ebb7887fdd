using System.Text.Json;
using HoneyHive.Notification.Delivery;
using HoneyHive.Notification.Routing;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.Notification;

/// <summary>
/// Consumes <c>notifications.alert</c> and <c>notifications.email</c>. Each message is routed to its deliveries, and each
/// delivery is sent unless the ledger says it went out (or died) already. A message some of whose deliveries failed comes
/// back after the service's backoff (<see cref="RetryLaterException"/>: the rest of the batch is acknowledged and the sent
/// deliveries are not repeated); after <see cref="NotificationOptions.MaxAttempts"/> tries its undelivered destinations
/// are dead in the ledger and the message goes to <c>deadletter.notifications.*</c> (<see cref="DeadLetterException"/>),
/// from where a replay sends only what never went out. Under Dapr the sidecar's resiliency policy paces the retries (it
/// ignores the delay asked for) and the ledger's count of tries decides the last one.
/// </summary>
public sealed partial class NotificationHandler(
    NotificationRouter router,
    DeliveryLedger ledger,
    IEnumerable<INotificationSender> senders,
    IOptions<NotificationOptions> options,
    ILogger<NotificationHandler> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        var deferred = new List<DeferredMessage>();
        var rejected = new List<RejectedMessage>();
        foreach (var message in batch)
        {
            var outcome = await HandleOneAsync(message, cancellationToken);
            if (outcome.Retry) deferred.Add(new DeferredMessage(message, options.Value.BackoffAfter(message.DeliveryCount)));
            else if (outcome.Error is { } error) rejected.Add(new RejectedMessage(message, error));
        }
        if (rejected.Count > 0) throw new DeadLetterException(rejected, deferred);
        if (deferred.Count > 0) throw new RetryLaterException(deferred, "a receiver did not take its notification yet");
    }

    private async Task<(bool Retry, string? Error)> HandleOneAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        DeliveryPlan plan;
        try
        {
            using var envelope = JsonDocument.Parse(message.Data);
            var root = envelope.RootElement;
            var id = root.TryGetProperty("id", out var idElement) && idElement.GetString() is { Length: > 0 } value ? value : message.Id;
            var type = root.TryGetProperty("type", out var typeElement) ? typeElement.GetString() ?? "" : "";
            if (!root.TryGetProperty("data", out var data)) throw new UnroutableMessageException("The CloudEvent has no data.");
            plan = await router.PlanAsync(id, type, data, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or UnroutableMessageException or InvalidOperationException)
        {
            LogUnroutable(message.Id, message.Topic, e.Message);
            return (false, $"unroutable: {e.Message}");
        }

        // The destinations of one message are independent: tried side by side (bounded), so one slow receiver does not
        // hold the others back. Messages stay in order, one after another (a resolution does not overtake its alert).
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<(bool Retry, string? Dead)>();
        await Parallel.ForEachAsync(plan.Deliveries, new ParallelOptions { MaxDegreeOfParallelism = ParallelDeliveries, CancellationToken = cancellationToken },
            async (delivery, ct) => outcomes.Add(await DeliverAsync(message, delivery, plan.OrgId, ct)));
        // A dead delivery does not stop the others from being retried; the message is dead-lettered once nothing is left to try.
        if (outcomes.Any(o => o.Retry)) return (true, null);
        return (false, outcomes.Select(o => o.Dead).FirstOrDefault(d => d is not null));
    }

    /// <summary>Destinations of one message tried at once.</summary>
    private const int ParallelDeliveries = 8;

    private async Task<(bool Retry, string? Dead)> DeliverAsync(IncomingMessage message, Delivery.Delivery delivery, Guid? orgId, CancellationToken cancellationToken)
    {
        var (status, attempts) = await ledger.ClaimAsync(delivery, orgId, cancellationToken);
        if (status == DeliveryLedger.Sent) return (false, null);
        if (status == DeliveryLedger.Dead) return (false, $"delivery {delivery.Id} is dead");
        // The ledger counts tries too: under Dapr every delivery reads as the first (the sidecar does not say), and a
        // delivery added to a message later (a new channel) has its own count.
        var attempt = Math.Max(message.DeliveryCount, attempts + 1);
        var sender = senders.FirstOrDefault(s => s.Kind == delivery.Kind);
        try
        {
            if (sender is null) throw new DeliveryRejectedException($"No sender for {delivery.Kind}.");
            await sender.SendAsync(delivery, cancellationToken);
            await ledger.SentAsync(delivery, cancellationToken);
            LogSent(delivery.Id, delivery.Kind, attempt);
            return (false, null);
        }
        catch (DeliveryRejectedException e)
        {
            await ledger.DeadAsync(delivery, e.Message, cancellationToken);
            LogDead(delivery.Id, delivery.Kind, attempt, e.Message);
            return (false, $"delivery {delivery.Id}: {e.Message}");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Only the exception's own message: the senders keep URLs, secrets and links out of it.
            var error = $"{e.GetType().Name}: {e.Message}";
            if (attempt >= options.Value.MaxAttempts)
            {
                await ledger.DeadAsync(delivery, error, cancellationToken);
                LogDead(delivery.Id, delivery.Kind, attempt, error);
                return (false, $"delivery {delivery.Id} gave up after {attempt} tries: {error}");
            }
            await ledger.FailedAsync(delivery, error, cancellationToken);
            LogRetry(delivery.Id, delivery.Kind, attempt, error);
            return (true, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {DeliveryId} ({Kind}) on try {Attempt}")]
    private partial void LogSent(string deliveryId, string kind, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {DeliveryId} ({Kind}) failed on try {Attempt}; retrying later: {Error}")]
    private partial void LogRetry(string deliveryId, string kind, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery {DeliveryId} ({Kind}) is dead after try {Attempt}: {Error}")]
    private partial void LogDead(string deliveryId, string kind, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on {Topic} cannot be routed: {Error}")]
    private partial void LogUnroutable(string messageId, string topic, string error);
}
