using HoneyHive.Contracts;

namespace HoneyHive.Writer;

/// <summary>Settings of the Writer (configuration section <c>Writer</c>).</summary>
public sealed class WriterOptions
{
    public const string Section = "Writer";

    /// <summary>
    /// Durable consumer name. One name = one shared cursor: several Writer replicas with the same name
    /// split the stream; a Host with its own name (tests start several against one NATS) gets every message.
    /// </summary>
    public string ConsumerName { get; set; } = AppIds.Writer;

    /// <summary>
    /// Whether this host consumes events at all. Off only to measure ingestion alone (`bench ingest`):
    /// the message log keeps what is published until a Writer runs.
    /// </summary>
    public bool ConsumeEvents { get; set; } = true;

    /// <summary>
    /// A consumer created for the first time starts at new messages instead of the log's history. For
    /// hosts that must not replay a shared server's backlog (the e2e tests' Hosts); off in production,
    /// where a new Writer must write everything the log still holds.
    /// </summary>
    public bool StartWithNewMessages { get; set; }

    /// <summary>Subject filter of the subscription.</summary>
    public string Topic { get; set; } = "events.>";

    /// <summary>
    /// Messages per batch (each carries up to ~100 events, see EventBatchPublisher). This bounds the Writer's
    /// memory: at 1000, a saturated pipeline made batches of ~50-100k events, and `./hh bench load` saw the
    /// Host pass 1.5 GB RSS with its managed heap capped at 768 MB (collections near the cap slowed every
    /// batch). 200 messages are at most ~20k events, still large inserts for ClickHouse.
    /// </summary>
    public int MaxBatchSize { get; set; } = 200;

    /// <summary>
    /// Bytes of messages per batch, at most. The Writer holds a batch several times over while it writes it (the
    /// messages, the parsed events, their rows, the insert's JSON), and two batches at once since batch N+1 is
    /// prepared while N is written. With 200 messages of ~100 KB each, `./hh bench e2e` ran the Host out of its
    /// 384 MiB managed heap (OutOfMemoryException in the insert and in the NATS read loop, batches retried one
    /// message at a time, 500 stored spans/s instead of 2-3,000). 4 MiB against 8 MiB, `./hh bench load` on the shared
    /// machine (2026-12-06): peak RSS 866 against 1,062 MB at the same sustained 6,000 spans/s; `./hh bench e2e`
    /// 4,363 against 4,931 spans/s, within the spread of single runs. At least 2 MiB, so that a whole message
    /// always fits; 0 for batches bounded by <see cref="MaxBatchSize"/> alone.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest wait to fill a batch.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time JetStream waits for an ack; the worker extends it while a batch is retried.</summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a failed write before the batch is dead-lettered.</summary>
    public int MaxRetryAttempts { get; set; } = 8;

    /// <summary>First retry delay; doubles with each attempt, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between retries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An inputs or outputs bucket larger than this (characters of its JSON text) goes to the object store;
    /// the row keeps a preview and a reference, and reads return the whole value.
    /// </summary>
    public int LargePayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Characters kept per key in the preview of a moved bucket.</summary>
    public int PreviewChars { get; set; } = 512;

    /// <summary>
    /// How long an update waits for its event. Under parallel publishing an update can arrive before the
    /// event it changes; it is redelivered until the event is stored, and dead-lettered only once it is
    /// this old (counted from its publish time), so an update of an event that never comes (a typo'd id,
    /// a deleted event) does not loop forever.
    /// </summary>
    public TimeSpan UpdateWaitLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>First redelivery delay of an update that waits for its event; doubles with each delivery.</summary>
    public TimeSpan UpdateRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest redelivery delay of an update that waits for its event.</summary>
    public TimeSpan UpdateMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// First redelivery delay of GenAI log messages that wait for their span. Shorter than
    /// <see cref="UpdateRetryDelay"/>: a span and its records are usually sent together and the span is stored
    /// within the next batch, so a second's wait was most of the join lag (`./hh bench logs`).
    /// </summary>
    public TimeSpan LogMessageRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Redelivery delay of a waiting update on its <paramref name="deliveryCount"/>-th delivery.</summary>
    public TimeSpan UpdateDelayFor(int deliveryCount, bool logMessages = false)
    {
        var first = logMessages ? LogMessageRetryDelay : UpdateRetryDelay;
        var delay = first.TotalMilliseconds * Math.Pow(2, Math.Clamp(deliveryCount - 1, 0, 30));
        return TimeSpan.FromMilliseconds(Math.Min(delay, UpdateMaxRetryDelay.TotalMilliseconds));
    }

    /// <summary>
    /// Deliveries a waiting update can need before it is <see cref="UpdateWaitLimit"/> old: the delays alone
    /// add up to the limit by then (handling time only makes it fewer), plus one for the delivery that gives up.
    /// </summary>
    public int UpdateDeliveries
    {
        get
        {
            var waited = TimeSpan.Zero;
            var deliveries = 1;
            // The shorter first delay of the two needs the more deliveries.
            var logMessages = LogMessageRetryDelay < UpdateRetryDelay;
            while (waited < UpdateWaitLimit && deliveries < 100_000) waited += UpdateDelayFor(deliveries++, logMessages);
            return deliveries + 1;
        }
    }

    /// <summary>Object-store prefix of dead letters.</summary>
    public string DeadLetterPrefix { get; set; } = "deadletters/events/";
}
