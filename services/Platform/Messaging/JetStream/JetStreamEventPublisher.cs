using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Platform.Messaging.JetStream;

/// <summary>
/// Publishes to JetStream and returns only once the stream acknowledged the message. The message id
/// travels as <c>Nats-Msg-Id</c>, so a retried publish inside the duplicate window is stored once and
/// its "duplicate" ack counts as success.
/// </summary>
public sealed class JetStreamEventPublisher(
    INatsJSContext js,
    IOptions<MessagingOptions> options,
    ILogger<JetStreamEventPublisher> logger) : IEventPublisher
{
    public async Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            await PublishOneAsync(message, timeout.Token);
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

        // NATS.Net multiplexes the replies of concurrent requests on one inbox, so many publishes
        // with their acks in flight is just many concurrent PublishAsync calls; the window bounds memory.
        var window = Math.Max(1, options.Value.MaxPublishesInFlight);
        using var slots = new SemaphoreSlim(window, window);
        var pending = new List<Task>(messages.Count);
        try
        {
            foreach (var message in messages)
            {
                await slots.WaitAsync(timeout.Token);
                pending.Add(ReleaseAfter(PublishOneAsync(message, timeout.Token), slots));
            }

            await Task.WhenAll(pending);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            // Let the publishes already started finish or fail so none outlives the call.
            await Task.WhenAll(pending).ContinueWith(static _ => { }, TaskScheduler.Default);
            throw Unavailable(ex, messages.Count);
        }
    }

    private async Task PublishOneAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var ack = await js.PublishAsync(
            message.Topic,
            message.Data,
            opts: new NatsJSPubOpts { MsgId = message.Id },
            cancellationToken: cancellationToken);
        EnsureStored(ack, message);
    }

    private static async Task ReleaseAfter(Task publish, SemaphoreSlim slots)
    {
        try
        {
            await publish;
        }
        finally
        {
            slots.Release();
        }
    }

    private static void EnsureStored(PubAckResponse ack, OutgoingMessage message)
    {
        // A duplicate ack means an earlier publish of this id is already stored: that is success.
        if (ack.Error is { } error)
        {
            throw new NatsJSApiException(error);
        }

        if (string.IsNullOrEmpty(ack.Stream))
        {
            throw new NatsJSException($"No stream acknowledged message {message.Id} on {message.Topic}.");
        }
    }

    private static bool IsUnavailable(Exception ex, CancellationToken callerToken) => ex switch
    {
        OperationCanceledException => !callerToken.IsCancellationRequested,
        NatsException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(e => IsUnavailable(e, callerToken)),
        _ => false,
    };

    private MessageLogUnavailableException Unavailable(Exception ex, int count)
    {
        logger.LogWarning(ex, "JetStream did not accept {Count} message(s)", count);
        return new MessageLogUnavailableException(
            ex is OperationCanceledException ? "The message log did not acknowledge in time." : "The message log is unavailable.",
            ex);
    }
}
