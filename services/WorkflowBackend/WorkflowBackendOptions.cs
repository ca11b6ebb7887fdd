namespace HoneyHive.WorkflowBackend;

/// <summary>Settings of the embedded workflow backend (section <c>WorkflowBackend</c>).</summary>
public sealed class WorkflowBackendOptions
{
    public const string Section = "WorkflowBackend";

    /// <summary>Scopes every row: backends (or tests) sharing one database with different hubs never meet.</summary>
    public string TaskHub { get; set; } = "honeyhive";

    /// <summary>Activity work items outstanding at the workers at once (the engine's fan-out cap).</summary>
    public int MaxConcurrentActivities { get; set; } = 64;

    /// <summary>Orchestration turns outstanding at once (each instance has at most one).</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 16;

    /// <summary>How long a dispatched work item stays leased without renewal; this process renews its own.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest the dispatcher sleeps without a signal (due timers, expired leases).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Inbox events handed to one orchestration turn; the rest wait for the next turn.</summary>
    public int MaxEventsPerTurn { get; set; } = 500;
}
