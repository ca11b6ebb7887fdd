namespace HoneyHive.Platform.Messaging;

/// <summary>A delivered message.</summary>
/// <param name="Topic">Subject / topic it was published on.</param>
/// <param name="Id">The publisher's message id.</param>
/// <param name="Data">The serialized CloudEvent.</param>
/// <param name="DeliveryCount">1 on first delivery.</param>
public sealed record IncomingMessage(string Topic, string Id, ReadOnlyMemory<byte> Data, int DeliveryCount);

/// <summary>
/// Handles a batch of messages. Return only once the effect is durable: the batch is acked then.
/// Throwing redelivers with backoff; the subscription retries members one by one to isolate a
/// poison message, which goes to the dead-letter subject after its maximum deliveries. Throwing
/// <see cref="RetryLaterException"/> after the rest of the batch is durable acks the rest and
/// redelivers only the messages it names, after their delay; throwing <see cref="DeadLetterException"/> acks the rest
/// and dead-letters the messages it names at once, each with its own error.
/// </summary>
public interface IBatchHandler
{
    /// <summary>Apply the batch durably.</summary>
    Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken);
}

/// <summary>How a handler subscribes: one durable consumer per subscription name.</summary>
/// <param name="Name">Durable consumer name (also the Dapr route segment).</param>
/// <param name="Topic">Topic or subject filter (may end in <c>&gt;</c> locally).</param>
/// <param name="HandlerType">An <see cref="IBatchHandler"/> resolved from DI (deliveries resolve it as the <see cref="IBatchHandler"/> keyed by <paramref name="Name"/>).</param>
public sealed record BatchSubscription(string Name, string Topic, Type HandlerType)
{
    /// <summary>Largest batch handed to the handler.</summary>
    public int MaxBatchSize { get; init; } = 1000;

    /// <summary>
    /// When set, a batch also holds at most this many bytes of messages (always at least one message), and
    /// <see cref="MaxBatchSize"/> only bounds how many stay unacked. For handlers whose memory follows the bytes
    /// they hold rather than the message count. JetStream fetches by bytes; it must exceed the largest message
    /// (NATS's <c>max_payload</c>), or that message could never be fetched.
    /// </summary>
    public int? MaxBatchBytes { get; init; }

    /// <summary>Longest wait to fill a batch.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Hand over a batch as soon as its first message arrives, with whatever else is already waiting (up to
    /// <see cref="MaxBatchSize"/>), instead of waiting up to <see cref="MaxWait"/> to fill it. For consumers whose
    /// messages are few and urgent (alert notifications, per-event alerts): a lone message is handled in
    /// milliseconds, not after the fetch expires. Throughput consumers (the Writer) keep filling batches.
    /// </summary>
    public bool HandleFirstMessageAtOnce { get; init; }

    /// <summary>Deliveries before a message is dead-lettered.</summary>
    public int MaxDeliver { get; init; } = 5;

    /// <summary>
    /// Extra deliveries a message may spend deferred by its handler (<see cref="RetryLaterException"/>):
    /// a message may be delivered <see cref="MaxDeliver"/> + <see cref="MaxDeferrals"/> times in all, and a
    /// failure dead-letters it only once that total is used. 0 (the default): handlers do not defer.
    /// </summary>
    public int MaxDeferrals { get; init; }

    /// <summary>Deliveries a message may get in all, failures and deferrals together.</summary>
    public int TotalDeliveries => MaxDeliver + MaxDeferrals;

    /// <summary>Time the consumer waits for an ack before redelivering.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay before the first redelivery of a failed message; doubles with each delivery.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between redeliveries.</summary>
    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Where the durable consumer starts when it is first created: every stored message (false, the
    /// default) or only messages published afterwards (a consumer that must not replay the log's history).
    /// </summary>
    public bool StartWithNewMessages { get; init; }

    /// <summary>Redelivery delay after a failed delivery: exponential in the delivery count, capped.</summary>
    public TimeSpan BackoffFor(int deliveryCount)
    {
        var exponent = Math.Clamp(deliveryCount - 1, 0, 30);
        var delay = RetryBackoff.TotalMilliseconds * Math.Pow(2, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxRetryBackoff.TotalMilliseconds));
    }
}

/// <summary>Headers of a message republished on <c>deadletter.&lt;topic&gt;</c>.</summary>
public static class DeadLetterHeaders
{
    /// <summary>The subject the message was published on.</summary>
    public const string OriginalSubject = "HH-Original-Subject";

    /// <summary>The publisher's message id.</summary>
    public const string OriginalId = "HH-Original-Id";

    /// <summary>Deliveries made before giving up.</summary>
    public const string DeliveryCount = "HH-Delivery-Count";

    /// <summary>The last handler error (type and message, one line).</summary>
    public const string Error = "HH-Error";

    /// <summary>The subscription (durable consumer) that gave up.</summary>
    public const string Subscription = "HH-Subscription";
}
