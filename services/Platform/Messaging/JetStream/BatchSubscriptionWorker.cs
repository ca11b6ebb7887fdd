using HoneyHive.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Platform.Messaging.JetStream;

/// <summary>
/// Runs one <see cref="BatchSubscription"/> on a durable JetStream pull consumer: fetch a batch,
/// hand it to the handler, ack it once the handler returned. A failed batch is retried member by
/// member so that one poison message cannot hold back the others; a member that keeps failing is
/// nak'd with an exponential delay and, at its last delivery, republished on
/// <c>deadletter.&lt;subject&gt;</c> and terminated. Messages the handler defers
/// (<see cref="RetryLaterException"/>) are nak'd with the delay it asked for while the rest is acked; messages it
/// rejects (<see cref="DeadLetterException"/>) are dead-lettered at once with their own error.
/// A handler that prepares batches (<see cref="IPreparingBatchHandler"/>) gets batch N+1 fetched and prepared
/// while batch N is handled; handling and acks stay one batch at a time, in order.
/// </summary>
public sealed class BatchSubscriptionWorker(
    BatchSubscription subscription,
    INatsJSContext js,
    JetStreamTopology topology,
    IServiceScopeFactory scopes,
    ILogger<BatchSubscriptionWorker> logger) : BackgroundService
{
    private const string MsgIdHeader = "Nats-Msg-Id";
    private const int MaxErrorHeaderLength = 1024;
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(15);

    private readonly string stream = Topics.StreamOf(subscription.Topic);

    /// <summary>The subscription this worker runs.</summary>
    public BatchSubscription Subscription => subscription;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await topology.WhenReadyAsync(stoppingToken);
                var consumer = await js.CreateOrUpdateConsumerAsync(stream, ConsumerConfigFor(subscription), stoppingToken);
                logger.LogInformation("Consuming {Topic} on {Stream} as {Consumer}", subscription.Topic, stream, subscription.Name);
                delay = TimeSpan.FromMilliseconds(200);
                await ConsumeAsync(consumer, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // NATS restarts, a deleted consumer, a lost connection: the client reconnects by itself,
                // so back off, recreate the consumer (idempotent) and carry on.
                logger.LogWarning(ex, "Subscription {Consumer} interrupted; resuming in {Delay}", subscription.Name, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
            }
        }
    }

    /// <summary>The durable pull consumer of a subscription.</summary>
    public static ConsumerConfig ConsumerConfigFor(BatchSubscription subscription) => new(subscription.Name)
    {
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        AckWait = subscription.AckWait,
        // One delivery beyond the handler's budget: a message whose last delivery never got a verdict
        // (process crash, ack timeout) still comes back once, and is dead-lettered without being handled.
        MaxDeliver = subscription.TotalDeliveries + 1,
        FilterSubject = subscription.Topic,
        DeliverPolicy = subscription.StartWithNewMessages ? ConsumerConfigDeliverPolicy.New : ConsumerConfigDeliverPolicy.All,
        MaxAckPending = Math.Max(1000, subscription.MaxBatchSize * 2),
        MaxBatch = 0,
    };

    private async Task ConsumeAsync(INatsJSConsumer consumer, CancellationToken stoppingToken)
    {
        // The server rejects pull requests that expire in under a second.
        var expires = subscription.MaxWait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : subscription.MaxWait;
        // The client takes a message or a byte bound, not both; by bytes, MaxAckPending bounds the count.
        var fetch = subscription.MaxBatchBytes is { } bytes
            ? new NatsJSFetchOpts { MaxBytes = bytes, Expires = expires }
            : new NatsJSFetchOpts { MaxMsgs = subscription.MaxBatchSize, Expires = expires };

        if (!Pipelined)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = await FetchAsync(consumer, fetch, stoppingToken);
                if (batch.Count > 0) await ProcessAsync(batch, null, stoppingToken);
            }

            return;
        }

        // A preparing handler: batch N+1 is fetched and prepared while batch N is handled. Still one batch
        // handled at a time and in order; N+1 is neither handled nor acked before N's verdict is sent. At most
        // two batches are unacked, which MaxAckPending (twice the batch size) allows, and two are in memory at
        // once: a handler that holds a batch's bytes several times over sets MaxBatchBytes to half its budget.
        var next = FetchAndPrepareAsync(consumer, fetch, stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var current = await next;
                next = FetchAndPrepareAsync(consumer, fetch, stoppingToken);
                // From here its own handling keeps the batch in progress.
                await current.DisposeAsync();
                if (current.Messages.Count > 0) await ProcessAsync(current.Messages, current, stoppingToken);
            }
        }
        finally
        {
            // A batch fetched but never handled (shutdown, a lost connection) gets no verdict: the server
            // redelivers it after AckWait, as for a crash.
            try
            {
                await using var orphan = await next;
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "A prefetched batch of {Consumer} was dropped unhandled", subscription.Name);
            }
        }
    }

    /// <summary>Whether the subscription's handler prepares batches ahead (<see cref="IPreparingBatchHandler"/>).</summary>
    private bool Pipelined => typeof(IPreparingBatchHandler).IsAssignableFrom(subscription.HandlerType);

    private static readonly TimeSpan MaxNextWait = TimeSpan.FromSeconds(30);

    private async Task<List<INatsJSMsg<byte[]>>> FetchAsync(INatsJSConsumer consumer, NatsJSFetchOpts fetch, CancellationToken stoppingToken)
    {
        var batch = new List<INatsJSMsg<byte[]>>(Math.Min(subscription.MaxBatchSize, 1024));
        if (subscription.HandleFirstMessageAtOnce)
        {
            // Wait for one message only, then take what else is already there without waiting.
            // The client refuses a single-message request that expires after more than 30 s (its idle heartbeat, half of
            // that, must stay under 30 s); a longer MaxWait simply asks again.
            var expires = fetch.Expires is { } wait && wait < MaxNextWait ? wait : MaxNextWait;
            var first = await consumer.NextAsync(NatsRawSerializer<byte[]>.Default, new NatsJSNextOpts { Expires = expires }, stoppingToken);
            if (first is null) return batch;
            batch.Add(first);
            if (subscription.MaxBatchSize > 1 && subscription.MaxBatchBytes is null)
            {
                await foreach (var msg in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = subscription.MaxBatchSize - 1 }, NatsRawSerializer<byte[]>.Default, stoppingToken))
                    batch.Add(msg);
            }
            return batch;
        }
        await foreach (var msg in consumer.FetchAsync(fetch, NatsRawSerializer<byte[]>.Default, stoppingToken))
        {
            batch.Add(msg);
        }

        return batch;
    }

    /// <summary>
    /// The next batch, prepared on a pool thread, with its messages kept in progress until it is handled
    /// (the batch before it may take longer than AckWait).
    /// </summary>
    private async Task<PreparedBatch> FetchAndPrepareAsync(INatsJSConsumer consumer, NatsJSFetchOpts fetch, CancellationToken stoppingToken)
    {
        var messages = await FetchAsync(consumer, fetch, stoppingToken);
        var prepared = new PreparedBatch(messages, this, stoppingToken);
        if (messages.Count == 0) return prepared;
        await Task.Run(() =>
        {
            using var scope = scopes.CreateScope();
            // A decorated handler (test faults) does not prepare: it is handled with both stages at once.
            if (scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(subscription.Name) is not IPreparingBatchHandler handler) return;
            try
            {
                prepared.Prepare(handler);
            }
            catch (Exception ex)
            {
                // Left unprepared: the handler prepares it again when handling it, and a failure there is handled as any.
                logger.LogWarning(ex, "Preparing a batch of {Consumer} failed", subscription.Name);
            }
        }, stoppingToken);
        return prepared;
    }

    /// <summary>A fetched batch waiting for its turn: its messages, the handler's preparation, and their progress heartbeat.</summary>
    private sealed class PreparedBatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource heartbeat;
        private readonly Task keepAlive;
        private bool stopped;

        public PreparedBatch(List<INatsJSMsg<byte[]>> messages, BatchSubscriptionWorker worker, CancellationToken stoppingToken)
        {
            Messages = messages;
            Incoming = messages.Select(ToIncoming).ToList();
            heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            keepAlive = messages.Count == 0 ? Task.CompletedTask : worker.KeepInProgressAsync(messages, heartbeat.Token);
        }

        public List<INatsJSMsg<byte[]>> Messages { get; }

        public List<IncomingMessage> Incoming { get; }

        public bool IsPrepared { get; private set; }

        public object? Result { get; private set; }

        public void Prepare(IPreparingBatchHandler handler)
        {
            Result = handler.Prepare(Incoming);
            IsPrepared = true;
        }

        /// <summary>Stops this batch's heartbeat once its own handling (which keeps it in progress itself) begins or it is dropped.</summary>
        public async ValueTask DisposeAsync()
        {
            if (stopped) return;
            stopped = true;
            await heartbeat.CancelAsync();
            await keepAlive;
            heartbeat.Dispose();
        }
    }

    private async Task ProcessAsync(List<INatsJSMsg<byte[]>> batch, PreparedBatch? prepared, CancellationToken stoppingToken)
    {
        // Deliveries beyond the handler's budget got no verdict last time (see ConsumerConfigFor).
        var exhausted = batch.Where(m => DeliveryCount(m) > subscription.TotalDeliveries).ToList();
        foreach (var msg in exhausted)
        {
            await DeadLetterAsync(msg, "Delivered beyond MaxDeliver without an ack (handler crashed or timed out).", stoppingToken);
        }

        var live = exhausted.Count == 0 ? batch : batch.Except(exhausted).ToList();
        if (live.Count == 0) return;

        // The preparation covers exactly the fetched batch; with members dropped, the handler prepares again.
        var (incoming, failure) = await TryHandleAsync(live, exhausted.Count == 0 && prepared is { IsPrepared: true } ? prepared : null, stoppingToken);
        if (failure is null)
        {
            await AckAllAsync(live, stoppingToken);
            return;
        }

        if (failure is DeadLetterException rejected)
        {
            // Not a failure either: the handler settled every message, some of them as dead letters.
            for (var i = 0; i < live.Count; i++) await SettleAsync(live[i], incoming[i], rejected, stoppingToken);
            return;
        }

        if (failure is RetryLaterException later)
        {
            // Not a failure: the rest of the batch is durable, only the deferred messages come back.
            for (var i = 0; i < live.Count; i++)
            {
                if (later.DelayOf(incoming[i]) is { } delay) await DeferAsync(live[i], delay, later, stoppingToken);
                else await live[i].AckAsync(cancellationToken: stoppingToken);
            }

            return;
        }

        if (live.Count == 1)
        {
            await FailAsync(live[0], failure, stoppingToken);
            return;
        }

        logger.LogWarning(failure, "Batch of {Count} on {Consumer} failed; retrying its messages one by one",
            live.Count, subscription.Name);
        foreach (var msg in live)
        {
            var (one, single) = await TryHandleAsync([msg], null, stoppingToken);
            if (single is null)
            {
                await msg.AckAsync(cancellationToken: stoppingToken);
            }
            else if (single is RetryLaterException deferral && deferral.DelayOf(one[0]) is { } delay)
            {
                await DeferAsync(msg, delay, deferral, stoppingToken);
            }
            else if (single is DeadLetterException rejection)
            {
                await SettleAsync(msg, one[0], rejection, stoppingToken);
            }
            else
            {
                await FailAsync(msg, single, stoppingToken);
            }
        }
    }

    private async Task<(List<IncomingMessage> Incoming, Exception? Failure)> TryHandleAsync(
        IReadOnlyList<INatsJSMsg<byte[]>> messages, PreparedBatch? prepared, CancellationToken stoppingToken)
    {
        var incoming = prepared?.Incoming ?? messages.Select(ToIncoming).ToList();
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var keepAlive = KeepInProgressAsync(messages, heartbeat.Token);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(subscription.Name);
            if (prepared is not null && handler is IPreparingBatchHandler preparing) await preparing.HandleAsync(incoming, prepared.Result, stoppingToken);
            else await handler.HandleAsync(incoming, stoppingToken);
            return (incoming, null);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: no verdict; the messages come back after AckWait.
            throw;
        }
        catch (Exception ex)
        {
            return (incoming, ex);
        }
        finally
        {
            await heartbeat.CancelAsync();
            await keepAlive;
        }
    }

    /// <summary>Tells the server the batch is still being worked on so a slow handler is not redelivered meanwhile.</summary>
    private async Task KeepInProgressAsync(IReadOnlyList<INatsJSMsg<byte[]>> messages, CancellationToken cancellationToken)
    {
        var period = subscription.AckWait / 3;
        if (period < TimeSpan.FromMilliseconds(100)) return;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var msg in messages)
                {
                    await msg.AckProgressAsync(cancellationToken: cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NatsException ex)
        {
            logger.LogDebug(ex, "Progress ack failed on {Consumer}", subscription.Name);
        }
    }

    /// <summary>A message of a batch the handler ended with <see cref="DeadLetterException"/>: dead-lettered, deferred or acked.</summary>
    private async Task SettleAsync(INatsJSMsg<byte[]> msg, IncomingMessage incoming, DeadLetterException outcome, CancellationToken stoppingToken)
    {
        if (outcome.ErrorOf(incoming) is { } error) await DeadLetterAsync(msg, error, stoppingToken);
        else if (outcome.DelayOf(incoming) is { } delay) await DeferAsync(msg, delay, new RetryLaterException([], outcome.Message), stoppingToken);
        else await msg.AckAsync(cancellationToken: stoppingToken);
    }

    private async Task FailAsync(INatsJSMsg<byte[]> msg, Exception error, CancellationToken stoppingToken)
    {
        var deliveries = DeliveryCount(msg);
        if (deliveries >= subscription.TotalDeliveries)
        {
            await DeadLetterAsync(msg, $"{error.GetType().Name}: {error.Message}", stoppingToken);
            return;
        }

        var delay = subscription.BackoffFor(deliveries);
        logger.LogWarning(error, "Message {Id} on {Subject} failed (delivery {Delivery} of {MaxDeliver}); redelivering in {Delay}",
            MessageId(msg), msg.Subject, deliveries, subscription.TotalDeliveries, delay);
        await msg.NakAsync(new AckOpts { NakDelay = delay }, stoppingToken);
    }

    /// <summary>A message its handler cannot handle yet: back after the delay, within the subscription's delivery budget.</summary>
    private async Task DeferAsync(INatsJSMsg<byte[]> msg, TimeSpan delay, RetryLaterException reason, CancellationToken stoppingToken)
    {
        var deliveries = DeliveryCount(msg);
        if (deliveries >= subscription.TotalDeliveries)
        {
            // The handler should have given up by now (it owns the bound); the server would stop delivering.
            await DeadLetterAsync(msg, $"Still deferred after {deliveries} deliveries: {reason.Message}", stoppingToken);
            return;
        }

        logger.LogDebug("Message {Id} on {Subject} deferred (delivery {Delivery}); redelivering in {Delay}", MessageId(msg), msg.Subject, deliveries, delay);
        if (delay <= TimeSpan.Zero) await msg.NakAsync(cancellationToken: stoppingToken);
        else await msg.NakAsync(new AckOpts { NakDelay = delay }, stoppingToken);
    }

    private async Task DeadLetterAsync(INatsJSMsg<byte[]> msg, string error, CancellationToken stoppingToken)
    {
        var id = MessageId(msg);
        var deliveries = DeliveryCount(msg);
        var headers = new NatsHeaders
        {
            [DeadLetterHeaders.OriginalSubject] = msg.Subject,
            [DeadLetterHeaders.OriginalId] = id,
            [DeadLetterHeaders.DeliveryCount] = deliveries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [DeadLetterHeaders.Error] = HeaderSafe(error),
            [DeadLetterHeaders.Subscription] = subscription.Name,
        };

        // The dead letter gets its own deterministic id: a crash between this publish and the
        // terminate below republishes it, and the duplicate window stores it once.
        var ack = await js.PublishAsync(
            Topics.DeadLetterPrefix + msg.Subject,
            msg.Data ?? [],
            opts: new NatsJSPubOpts { MsgId = $"{subscription.Name}:{id}" },
            headers: headers,
            cancellationToken: stoppingToken);
        if (ack.Error is { } apiError)
        {
            throw new NatsJSApiException(apiError);
        }

        await msg.AckTerminateAsync(cancellationToken: stoppingToken);
        logger.LogError("Message {Id} on {Subject} dead-lettered after {Deliveries} deliveries: {Error}",
            id, msg.Subject, deliveries, error);
    }

    private static async Task AckAllAsync(IEnumerable<INatsJSMsg<byte[]>> messages, CancellationToken cancellationToken)
    {
        foreach (var msg in messages)
        {
            await msg.AckAsync(cancellationToken: cancellationToken);
        }
    }

    private static IncomingMessage ToIncoming(INatsJSMsg<byte[]> msg) =>
        new(msg.Subject, MessageId(msg), msg.Data ?? [], DeliveryCount(msg));

    private static string MessageId(INatsJSMsg<byte[]> msg) =>
        msg.Headers is { } headers && headers.TryGetValue(MsgIdHeader, out var id) && !string.IsNullOrEmpty(id.ToString())
            ? id.ToString()
            : $"{msg.Metadata?.Stream}:{msg.Metadata?.Sequence.Stream}";

    private static int DeliveryCount(INatsJSMsg<byte[]> msg) =>
        (int)Math.Min(int.MaxValue, msg.Metadata?.NumDelivered ?? 1);

    private static string HeaderSafe(string value)
    {
        var oneLine = value.ReplaceLineEndings(" ");
        return oneLine.Length <= MaxErrorHeaderLength ? oneLine : oneLine[..MaxErrorHeaderLength];
    }
}
