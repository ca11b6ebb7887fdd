namespace HoneyHive.Evaluation.Online;

/// <summary>Online evaluation (section <c>Evaluation:Online</c>): which events become tasks, and how tasks are run.</summary>
public sealed class OnlineEvaluationOptions
{
    public const string Section = "Evaluation:Online";

    /// <summary>Off: no dispatcher and no worker in this process (e.g. a second Host that only serves APIs).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Tasks of one project running at once in a worker delivery, so one project's flood leaves room for the others.</summary>
    public int PerProjectConcurrency { get; set; } = 4;

    /// <summary>Tasks running at once in this process, all projects together.</summary>
    public int GlobalConcurrency { get; set; } = 16;

    /// <summary>Largest event (serialized UTF-8) carried in its task; a larger one is read from the store by the worker.</summary>
    public int MaxInlineEventBytes { get; set; } = 256 * 1024;

    /// <summary>How long a project's deployed online metrics are reused before dpdb is read again (a deploy shows after at most this).</summary>
    public TimeSpan MetricCacheTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Projects whose metric lists are cached at most.</summary>
    public int MetricCacheMaxProjects { get; set; } = 10_000;

    /// <summary>Deployed metrics of one project read at most (a project with more evaluates the oldest ones).</summary>
    public int MaxMetricsPerProject { get; set; } = 500;

    /// <summary>Durable consumer of <c>events.ingested</c> that turns events into tasks.</summary>
    public string DispatcherConsumer { get; set; } = "evaluation-dispatcher";

    /// <summary>Durable consumer of <c>evaluation.requested</c> that runs tasks.</summary>
    public string WorkerConsumer { get; set; } = "evaluation-worker";

    /// <summary>Tasks handed to the worker per delivery.</summary>
    public int WorkerBatchSize { get; set; } = 64;

    /// <summary>How long a task whose event is not in the store yet (a large event, written after its task) waits for it.</summary>
    public TimeSpan EventWaitLimit { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First delay before a task is retried (event not written yet, evaluator busy, a dependency down); doubles, capped by <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between retries of a task.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries a task may spend waiting (busy evaluator, event not stored) before a failure dead-letters it.</summary>
    public int MaxDeferrals { get; set; } = 100;

    /// <summary>The delay before the next attempt of a task delivered <paramref name="deliveries"/> times.</summary>
    public TimeSpan RetryDelayFor(int deliveries)
    {
        var delay = RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(deliveries - 1, 0, 20));
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxRetryDelay.TotalMilliseconds));
    }
}
