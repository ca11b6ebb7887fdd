using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr;
using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using DaprBulkOptions = Dapr.AspNetCore.BulkSubscribeTopicOptions;

namespace HoneyHive.Platform.Messaging.Dapr;

/// <summary>
/// The endpoints daprd delivers to: one per <see cref="BatchSubscription"/>, declared to the sidecar
/// through <c>GET /dapr/subscribe</c> with bulk subscribe enabled when the subscription takes batches.
/// One route accepts both delivery shapes, a single CloudEvent and a bulk request, and hands the
/// CloudEvents (whole envelopes, as in single-node mode) to the same <see cref="IBatchHandler"/>.
/// </summary>
public static class DaprSubscriptionEndpoints
{
    /// <summary>Route prefix of the delivery endpoints.</summary>
    public const string RoutePrefix = "/dapr/subscriptions/";

    /// <summary>The delivery route of a subscription.</summary>
    public static string RouteOf(BatchSubscription subscription) => RoutePrefix + subscription.Name;

    /// <summary>Dead-letter topic daprd uses once its retries are exhausted: <c>deadletter.&lt;topic&gt;</c>.</summary>
    public static string DeadLetterTopicOf(BatchSubscription subscription) =>
        Topics.DeadLetterPrefix + subscription.Topic.Replace(".>", string.Empty, StringComparison.Ordinal)
            .Replace(".*", string.Empty, StringComparison.Ordinal);

    /// <summary>Maps <c>GET /dapr/subscribe</c> and one delivery endpoint per registered subscription.</summary>
    public static IEndpointRouteBuilder MapDaprSubscriptions(this IEndpointRouteBuilder app)
    {
        var subscriptions = app.ServiceProvider.GetServices<BatchSubscription>().ToList();
        var limits = app.ServiceProvider.GetService<IOptions<MessagingOptions>>()?.Value.Dapr ?? new DaprMessagingOptions();
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaprSubscriptionEndpoints));
        WarnAboutSharedDurables(subscriptions, logger);

        app.MapSubscribeHandler();
        foreach (var subscription in subscriptions)
        {
            var endpoint = app.MapPost(RouteOf(subscription), (HttpRequest request) => DeliverAsync(request.HttpContext, subscription))
                .WithTopic(new TopicOptions
                {
                    PubsubName = Components.PubSub,
                    Name = subscription.Topic,
                    DeadLetterTopic = DeadLetterTopicOf(subscription),
                })
                .WithDisplayName($"Dapr delivery {subscription.Name}")
                // Bulk subscribe bounds a delivery by count only; the count below keeps it under this
                // limit, and a delivery above Kestrel's default (30 MB) would otherwise be refused with
                // 413, retried and dead-lettered by daprd.
                .WithMetadata(new DeliverySizeLimit(limits.MaxBulkDeliveryBytes));

            if (subscription.MaxBatchSize > 1)
            {
                endpoint.WithBulkSubscribe(new DaprBulkOptions
                {
                    TopicName = subscription.Topic,
                    MaxMessagesCount = limits.MaxMessagesPerBulkDelivery(subscription.MaxBatchSize),
                    MaxAwaitDurationMs = (int)Math.Max(1, subscription.MaxWait.TotalMilliseconds),
                });
            }
        }

        return app;
    }

    private static async Task<IResult> DeliverAsync(HttpContext http, BatchSubscription subscription)
    {
        var cancellationToken = http.RequestAborted;
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, cancellationToken);
        var bytes = body.ToArray();

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            // Never going to parse: tell daprd to drop it rather than redeliver forever.
            return TypedResults.Json(new DeliveryResponse(DeliveryStatus.Drop), statusCode: StatusCodes.Status200OK);
        }

        using (document)
        {
            var handler = http.RequestServices.GetRequiredKeyedService<IBatchHandler>(subscription.Name);
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaprSubscriptionEndpoints));
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("entries", out var entries) && entries.ValueKind == JsonValueKind.Array)
            {
                var statuses = await DeliverBulkAsync(document.RootElement, entries, subscription, handler, logger, http, cancellationToken);
                return TypedResults.Json(new BulkDeliveryResponse(statuses));
            }

            var message = new IncomingMessage(
                TopicOf(document.RootElement, subscription.Topic),
                StringProperty(document.RootElement, "id") ?? string.Empty,
                bytes,
                DeliveryCount: 1);
            try
            {
                await handler.HandleAsync([message], cancellationToken);
                return TypedResults.Json(new DeliveryResponse(DeliveryStatus.Success));
            }
            catch (DeadLetterException rejected) when (rejected.ErrorOf(message) is { } error)
            {
                var publisher = http.RequestServices.GetRequiredService<IEventPublisher>();
                await publisher.PublishAsync(DeadLetterOf(subscription, message, error), cancellationToken);
                logger.LogError("Message {Id} on {Subscription} dead-lettered by its handler: {Error}", message.Id, subscription.Name, error);
                return TypedResults.Json(new DeliveryResponse(DeliveryStatus.Success));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Handler of {Subscription} failed on {Id}; asking the sidecar to retry", subscription.Name, message.Id);
                return TypedResults.Json(new DeliveryResponse(DeliveryStatus.Retry), statusCode: StatusCodes.Status500InternalServerError);
            }
        }
    }

    private static async Task<List<EntryStatus>> DeliverBulkAsync(
        JsonElement request,
        JsonElement entries,
        BatchSubscription subscription,
        IBatchHandler handler,
        ILogger logger,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var requestTopic = StringProperty(request, "topic") ?? subscription.Topic;
        var statuses = new List<EntryStatus>();
        var deliverable = new List<(string EntryId, IncomingMessage Message)>();
        foreach (var entry in entries.EnumerateArray())
        {
            var entryId = StringProperty(entry, "entryId") ?? string.Empty;
            if (!entry.TryGetProperty("event", out var cloudEvent) ||
                cloudEvent.ValueKind is not (JsonValueKind.Object or JsonValueKind.String))
            {
                statuses.Add(new EntryStatus(entryId, DeliveryStatus.Drop));
                continue;
            }

            // An object is the CloudEvent itself; a string is a raw payload, which daprd sends base64-encoded
            // (Dapr 1.16 pkg/runtime/subscription/bulksubscription.go). One that is not base64 never will be.
            byte[] data;
            if (cloudEvent.ValueKind == JsonValueKind.Object)
            {
                data = JsonSerializer.SerializeToUtf8Bytes(cloudEvent);
            }
            else if (!cloudEvent.TryGetBytesFromBase64(out data!))
            {
                statuses.Add(new EntryStatus(entryId, DeliveryStatus.Drop));
                continue;
            }

            var id = cloudEvent.ValueKind == JsonValueKind.Object ? StringProperty(cloudEvent, "id") ?? entryId : entryId;
            var topic = cloudEvent.ValueKind == JsonValueKind.Object ? TopicOf(cloudEvent, requestTopic) : requestTopic;
            deliverable.Add((entryId, new IncomingMessage(topic, id, data, DeliveryCount: 1)));
        }

        if (deliverable.Count == 0) return statuses;

        try
        {
            await handler.HandleAsync(deliverable.Select(d => d.Message).ToList(), cancellationToken);
            statuses.AddRange(deliverable.Select(d => new EntryStatus(d.EntryId, DeliveryStatus.Success)));
            return statuses;
        }
        catch (RetryLaterException later)
        {
            // The handler wrote the rest: only the entries it deferred go back to daprd.
            statuses.AddRange(deliverable.Select(d => new EntryStatus(d.EntryId, later.Defers(d.Message) ? DeliveryStatus.Retry : DeliveryStatus.Success)));
            return statuses;
        }
        catch (DeadLetterException outcome)
        {
            // The handler settled every entry; the rejected ones are published on the dead-letter topic by us, with
            // their error (daprd's own dead-lettering would carry none), and only then acknowledged.
            var rejected = deliverable.Where(d => outcome.ErrorOf(d.Message) is not null).ToList();
            var published = true;
            try
            {
                var publisher = http.RequestServices.GetRequiredService<IEventPublisher>();
                await publisher.PublishBatchAsync(rejected.Select(d => DeadLetterOf(subscription, d.Message, outcome.ErrorOf(d.Message)!)).ToList(), cancellationToken);
                foreach (var (_, message) in rejected)
                    logger.LogError("Message {Id} on {Subscription} dead-lettered by its handler: {Error}", message.Id, subscription.Name, outcome.ErrorOf(message));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Dead-lettering {Count} entries of {Subscription} failed; asking the sidecar to retry them", rejected.Count, subscription.Name);
                published = false;
            }
            statuses.AddRange(deliverable.Select(d => new EntryStatus(d.EntryId,
                outcome.DelayOf(d.Message) is not null || (!published && outcome.ErrorOf(d.Message) is not null) ? DeliveryStatus.Retry : DeliveryStatus.Success)));
            return statuses;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Bulk of {Count} on {Subscription} failed; retrying its entries one by one",
                deliverable.Count, subscription.Name);
        }

        // Same isolation as the JetStream worker: the good entries succeed, the poison one is retried
        // by daprd (and dead-lettered by it once its resiliency policy gives up).
        foreach (var (entryId, message) in deliverable)
        {
            try
            {
                await handler.HandleAsync([message], cancellationToken);
                statuses.Add(new EntryStatus(entryId, DeliveryStatus.Success));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Entry {EntryId} ({Id}) on {Subscription} failed", entryId, message.Id, subscription.Name);
                statuses.Add(new EntryStatus(entryId, DeliveryStatus.Retry));
            }
        }

        return statuses;
    }

    /// <summary>
    /// The CloudEvent a handler rejected, for <c>deadletter.&lt;topic&gt;</c>: the same envelope with the error, the original id and
    /// the subscription as extension attributes (<see cref="DeadLetterAttributes"/>), under the id the JetStream adapter gives its
    /// dead letters, so a redelivered rejection is stored once.
    /// </summary>
    public static OutgoingMessage DeadLetterOf(BatchSubscription subscription, IncomingMessage message, string error)
    {
        var id = $"{subscription.Name}:{message.Id}";
        System.Text.Json.Nodes.JsonObject envelope;
        try
        {
            envelope = System.Text.Json.Nodes.JsonNode.Parse(message.Data.Span) as System.Text.Json.Nodes.JsonObject ?? [];
        }
        catch (JsonException)
        {
            envelope = [];
        }
        envelope["id"] = id;
        envelope[DeadLetterAttributes.Error] = error.ReplaceLineEndings(" ");
        envelope[DeadLetterAttributes.OriginalId] = message.Id;
        envelope[DeadLetterAttributes.Subscription] = subscription.Name;
        return new OutgoingMessage(DeadLetterTopicOf(subscription), id, JsonSerializer.SerializeToUtf8Bytes(envelope));
    }

    private static string TopicOf(JsonElement cloudEvent, string fallback) => StringProperty(cloudEvent, "topic") ?? fallback;

    private static string? StringProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>
    /// The jetstream component takes its durable consumer name from component metadata (one per app),
    /// so two subscriptions of one app on one stream would share a consumer. Say so at start.
    /// </summary>
    private static void WarnAboutSharedDurables(IEnumerable<BatchSubscription> subscriptions, ILogger logger)
    {
        foreach (var group in subscriptions.GroupBy(s => Topics.StreamOf(s.Topic)).Where(g => g.Count() > 1))
        {
            logger.LogWarning(
                "Subscriptions {Subscriptions} all read {Stream}; with pubsub.jetstream they share the app's durable consumer. Subscribe once to a wildcard topic instead",
                string.Join(", ", group.Select(s => s.Name)), group.Key);
        }
    }

    private sealed record DeliverySizeLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;

    internal static class DeliveryStatus
    {
        public const string Success = "SUCCESS";
        public const string Retry = "RETRY";
        public const string Drop = "DROP";
    }

    internal sealed record DeliveryResponse([property: JsonPropertyName("status")] string Status);

    internal sealed record EntryStatus(
        [property: JsonPropertyName("entryId")] string EntryId,
        [property: JsonPropertyName("status")] string Status);

    internal sealed record BulkDeliveryResponse([property: JsonPropertyName("statuses")] IReadOnlyList<EntryStatus> Statuses);
}
