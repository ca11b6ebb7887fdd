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

    /// <summary>Bytes an entry adds to a bulk publish request besides its data: entry id, content type, metadata, framing.</summary>
    public const int BulkEntryOverheadBytes = 512;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The message is larger than the log stores (Messaging:Dapr:MaxMessageBytes).</exception>
    public async Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        EnsureStorable(message);
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

    /// <inheritdoc />
    /// <remarks>
    /// Bulk publish addresses one topic per call, and daprd refuses a request above its body limit
    /// (4 MiB by default), so the messages of a topic go out in calls of at most
    /// Messaging:Dapr:MaxBulkPublishBytes each. All calls run concurrently under one timeout.
    /// </remarks>
    /// <exception cref="ArgumentException">A message is larger than the log stores (Messaging:Dapr:MaxMessageBytes).</exception>
    public async Task PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0) return;
        foreach (var message in messages) EnsureStorable(message);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            var calls = messages
                .GroupBy(m => m.Topic, StringComparer.Ordinal)
                .SelectMany(group => BulkCalls(group.ToList(), options.Value.Dapr.MaxBulkPublishBytes)
                    .Select(call => BulkPublishAsync(group.Key, call, timeout.Token)));
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

    /// <summary>Consecutive runs of <paramref name="messages"/> whose data and entry overhead fit in <paramref name="maxBytes"/>.</summary>
    private static IEnumerable<List<OutgoingMessage>> BulkCalls(List<OutgoingMessage> messages, int maxBytes)
    {
        var call = new List<OutgoingMessage>();
        long bytes = 0;
        foreach (var message in messages)
        {
            var size = (long)message.Data.Length + BulkEntryOverheadBytes;
            if (call.Count > 0 && bytes + size > maxBytes)
            {
                yield return call;
                call = [];
                bytes = 0;
            }

            call.Add(message);
            bytes += size;
        }

        if (call.Count > 0) yield return call;
    }

    // A message the log cannot store fails the same way every time: a caller bug, not an outage, so it
    // is not a MessageLogUnavailableException (which tells clients to retry).
    private void EnsureStorable(OutgoingMessage message)
    {
        var limits = options.Value.Dapr;
        var max = Math.Min(limits.MaxMessageBytes, limits.MaxBulkPublishBytes - BulkEntryOverheadBytes);
        if (message.Data.Length > max)
        {
            throw new ArgumentException(
                $"Message {message.Id} on {message.Topic} is {message.Data.Length} bytes; the message log takes at most {max} bytes per message (Messaging:Dapr:MaxMessageBytes).",
                nameof(message));
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
