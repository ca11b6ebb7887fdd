namespace HoneyHive.Platform.Messaging;

/// <summary>Settings of the message log (configuration section <c>Messaging</c>).</summary>
public sealed class MessagingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Messaging";

    /// <summary>
    /// How long JetStream remembers a <c>Nats-Msg-Id</c>: a retried publish inside this window is stored once.
    /// Must cover the longest client retry (ingestion retries within seconds; two minutes leaves ample margin).
    /// </summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Limits applied to every stream unless <see cref="Streams"/> overrides them.</summary>
    public StreamLimits Limits { get; set; } = new();

    /// <summary>Per-stream overrides keyed by stream name (e.g. <c>deadletter-stream</c>).</summary>
    public Dictionary<string, StreamLimits> Streams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Stream replicas (1 on a single node).</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Longest wait for the log to accept a publish before callers are told it is unavailable.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Publishes in flight (awaiting their acks) at once in a batch publish.</summary>
    public int MaxPublishesInFlight { get; set; } = 512;

    /// <summary>Size bounds of the Dapr adapter (section <c>Messaging:Dapr</c>).</summary>
    public Dapr.DaprMessagingOptions Dapr { get; set; } = new();

    /// <summary>The limits that apply to a stream.</summary>
    public StreamLimits LimitsFor(string stream) =>
        Streams.TryGetValue(stream, out var specific) ? specific : Limits;
}

/// <summary>Retention limits of a stream; zero or negative means unlimited.</summary>
public sealed class StreamLimits
{
    /// <summary>Oldest message kept.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest stream size in bytes.</summary>
    public long MaxBytes { get; set; } = -1;

    /// <summary>Most messages kept.</summary>
    public long MaxMsgs { get; set; } = -1;
}
