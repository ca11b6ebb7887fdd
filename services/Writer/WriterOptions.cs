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

    /// <summary>Faults for tests that prove recovery; all off unless a test configuration turns them on.</summary>
    public WriterFaults Faults { get; set; } = new();

    /// <summary>Object-store prefix of dead letters.</summary>
    public string DeadLetterPrefix { get; set; } = "deadletters/events/";
}

/// <summary>Test-only faults (configuration section <c>Writer:Faults</c>).</summary>
public sealed class WriterFaults
{
    /// <summary>
    /// Kill the process (SIGKILL, no cleanup) right after a batch is inserted and before it is acked:
    /// the crash window that must not double or lose events after the restart.
    /// </summary>
    public bool CrashAfterInsert { get; set; }
}
