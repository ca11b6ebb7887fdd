namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>The alert engine (configuration section <c>Alerts</c>).</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Off: no evaluation, no per-event consumer and no publishing in this process (the transitions route still answers).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often AGGREGATE and DRIFT alerts are evaluated over their trailing window.</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Scheduled alerts evaluated at once by one process (each is one ClickHouse query, or two for DRIFT).</summary>
    public int EvaluationConcurrency { get; set; } = 4;

    /// <summary>Durable consumer of <c>events.ingested</c> that judges PER_EVENT alerts.</summary>
    public string PerEventConsumer { get; set; } = "alert-per-event";

    /// <summary>
    /// How long a project's PER_EVENT alerts are reused at most. The sync's notification refreshes them at once; this bounds
    /// how stale they can get while the notification listener is reconnecting.
    /// </summary>
    public TimeSpan DefinitionCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the outbox is looked at besides right after a transition (catches what a crash left unpublished).</summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Transitions published per round trip to the message log.</summary>
    public int PublishBatchSize { get; set; } = 100;

    public void Validate()
    {
        if (EvaluationInterval <= TimeSpan.Zero || PublishInterval <= TimeSpan.Zero || DefinitionCacheTtl < TimeSpan.Zero
            || EvaluationConcurrency < 1 || PublishBatchSize < 1 || string.IsNullOrWhiteSpace(PerEventConsumer))
            throw new InvalidOperationException($"{Section}: intervals must be positive, concurrency and batch size at least 1, and PerEventConsumer set.");
    }
}
