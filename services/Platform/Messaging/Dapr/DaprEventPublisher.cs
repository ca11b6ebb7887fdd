using Dapr;
using Dapr.Client;
using Grpc.Core;
using HoneyHive.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.Platform.Messaging.Dapr;

/// <summary>
/// Publishes through the Dapr sidecar's pub/sub. Messages are already CloudEvents, so they go out as
/// <c>application/cloudevents+json</c>: the sidecar keeps our envelope (id included, which the
/// JetStream component turns into <c>Nats-Msg-Id</c>) and only adds its tracing attributes, so the
/// bytes on the stream are the same CloudEvent as in single-node mode.
/// </summary>
public sealed class DaprEventPublisher(
    DaprClient dapr,
    IOptions<MessagingOptions> options,
    ILogger<DaprEventPublisher> logger) : IEventPublisher
{
    /// <summary>Content type of a message that already is a CloudEvent.</summary>
    public const string CloudEventContentType = "application/cloudevents+json";

    /// <summary>Metadata key the sidecar reads as the CloudEvent id when it builds an envelope itself.</summary>
    public const string CloudEventIdMetadata = "cloudevent.id";

    public async Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            await dapr.PublishByteEventAsync(
                Components.PubSub,
                message.Topic,
                message.Data,
                CloudEventContentType,
                new Dictionary<string, string> { [CloudEventIdMetadata] = message.Id },
                timeout.Token);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex, 1);
        }
    }

    public async Task PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0) return;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            // Bulk publish addresses one topic per call; topics of a batch go out concurrently.
            var calls = messages
                .GroupBy(m => m.Topic, StringComparer.Ordinal)
                .Select(group => BulkPublishAsync(group.Key, group.ToList(), timeout.Token));
            await Task.WhenAll(calls);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex, messages.Count);
        }
    }

    private async Task BulkPublishAsync(string topic, List<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var events = messages.Select(m => new SerializedCloudEvent(m.Data)).ToList();
        var response = await dapr.BulkPublishEventAsync(Components.PubSub, topic, events, cancellationToken: cancellationToken);
        if (response.FailedEntries.Count > 0)
        {
            var first = response.FailedEntries[0];
            throw new MessageLogUnavailableException(
                $"The sidecar rejected {response.FailedEntries.Count} of {messages.Count} message(s) on {topic}: {first.ErrorMessage}");
        }
    }

    private static bool IsUnavailable(Exception ex, CancellationToken callerToken) => ex switch
    {
        OperationCanceledException => !callerToken.IsCancellationRequested,
        DaprException or RpcException or HttpRequestException or MessageLogUnavailableException => true,
        _ => false,
    };

    private Exception Unavailable(Exception ex, int count)
    {
        if (ex is MessageLogUnavailableException unavailable) return unavailable;
        logger.LogWarning(ex, "The Dapr sidecar did not accept {Count} message(s)", count);
        return new MessageLogUnavailableException(
            ex is OperationCanceledException ? "The message log did not acknowledge in time." : "The message log is unavailable.",
            ex);
    }
}
