namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>Retention and archive settings (section <c>Lifecycle</c>).</summary>
public sealed class LifecycleOptions
{
    public const string Section = "Lifecycle";

    /// <summary>A project the CP has not given a retention yet (an older CP sends 0) keeps its events this long.</summary>
    public const int DefaultRetentionDays = 30;

    /// <summary>Whether this process runs the retention sweep at all (several replicas may; a lock per project keeps them apart).</summary>
    public bool RetentionEnabled { get; set; } = true;

    /// <summary>
    /// Time between sweeps. The first sweep also waits this long after start, so a process that only lives for a
    /// moment (a test, a migration run) never removes anything. With the CP's sync a shortened retention takes
    /// effect within this interval plus the sync's delay: well under the hour promised.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long restored days stay in ClickHouse before the sweep removes them again (their archive stays).</summary>
    public TimeSpan RestoredHold { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most days one restore may ask for: a restore loads every day into memory in turn and runs in the request.</summary>
    public int MaxRestoreDays { get; set; } = 93;

    /// <summary>Where the Writer keeps dead letters (<c>yyyy/MM/dd/</c> folders below it; the Writer's <c>DeadLetterPrefix</c>).</summary>
    public string DeadLetterPrefix { get; set; } = "deadletters/events/";
}
