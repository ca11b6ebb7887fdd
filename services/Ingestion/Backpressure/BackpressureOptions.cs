namespace HoneyHive.Ingestion.Backpressure;

/// <summary>Configuration section <c>Ingestion:Backpressure</c>.</summary>
public sealed class BackpressureOptions
{
    /// <summary>
    /// The Writer's lag above which new data is refused: how long a span accepted now would wait before the
    /// Writer has it stored, projected from the backlog and the Writer's measured drain rate once the oldest
    /// waiting message has waited half of it (or, before a rate is known, the age of that message). 10 s: one
    /// slow batch on a busy machine (a merge, a cold cache) takes seconds, and a 2 s bound refused the
    /// end-to-end tests' ordinary traffic on the 2-core CI machine; 10 s still keeps a backlog from growing to
    /// minutes. The end-to-end goal of a 2 s lag is the pipeline's speed at a rate it sustains, not this
    /// bound. A restart does not trip it for long: messages held by a dead Writer until their AckWait do not
    /// count (see <see cref="WriterLag"/>).
    /// </summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Hard safety cap: unprocessed messages on events-stream (about 100 spans each) above which new data is
    /// refused whatever the lag says (e.g. a drain rate measured on tiny messages, or no message times readable).
    /// </summary>
    public long MaxBacklogMessages { get; set; } = 200_000;

    /// <summary>How often the Writer's consumer is read. Short: the projection is only as early as the last poll.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Span of the polls the drain rate is measured over: long enough to see several of the Writer's batch acks
    /// (a batch is acknowledged at once, so a rate over one poll is zero or a burst).
    /// </summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The stream the Writer consumes.</summary>
    public string Stream { get; set; } = HoneyHive.Contracts.Streams.Events;

    /// <summary>
    /// Durable consumers whose lag counts: by default the Writer's (<c>Writer:ConsumerName</c>, else
    /// <c>cp-writer</c>). Only these: a consumer left behind by a removed app must not stop ingestion.
    /// </summary>
    public string[] Consumers { get; set; } = [];

    /// <summary>The longest Retry-After told to clients (shorter when the lag is only just over its bound).</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
