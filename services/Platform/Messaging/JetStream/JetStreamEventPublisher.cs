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
        try
        {
            await PublishOneAsync(message, cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex, 1);
        }
    }

    public async Task PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0) return;

        // NATS.Net multiplexes the replies of concurrent requests on one inbox, so many publishes with
        // their acks in flight is just many concurrent PublishAsync calls; the window bounds memory.
        // Each publish has its own timeout, so a large batch is not cut off by the clock, only a stall is.
        var window = Math.Max(1, options.Value.MaxPublishesInFlight);
        using var slots = new SemaphoreSlim(window, window);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new List<Task>(messages.Count);
        try
        {
            foreach (var message in messages)
            {
                await slots.WaitAsync(abort.Token);
                pending.Add(PublishInWindowAsync(message, slots, abort, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A publish failed and stopped the loop; its own exception surfaces below.
        }

        try
        {
            await Task.WhenAll(pending);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex, messages.Count);
        }
    }

    private async Task PublishInWindowAsync(OutgoingMessage message, SemaphoreSlim slots, CancellationTokenSource abort, CancellationToken cancellationToken)
    {
        try
        {
            await PublishOneAsync(message, cancellationToken);
        }
        catch
        {
            await abort.CancelAsync();
            throw;
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task PublishOneAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        var ack = await js.PublishAsync(
            message.Topic,
            message.Data,
            opts: new NatsJSPubOpts { MsgId = message.Id },
            cancellationToken: timeout.Token);
        EnsureStored(ack, message);
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
