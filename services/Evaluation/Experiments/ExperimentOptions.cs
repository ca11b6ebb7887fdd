namespace HoneyHive.Evaluation.Experiments;

/// <summary>Configuration section <c>Experiments</c>: the bounds of experiment workflows.</summary>
public sealed class ExperimentOptions
{
    public const string Section = "Experiments";

    /// <summary>Most targets (events of a run, datapoints of a dataset) one workflow works through.</summary>
    public int MaxTargets { get; set; } = 10_000;

    /// <summary>Activities in flight at once when the request names no concurrency.</summary>
    public int DefaultConcurrency { get; set; } = 10;

    /// <summary>Largest concurrency a request may ask for.</summary>
    public int MaxConcurrency { get; set; } = 100;

    /// <summary>Most metrics one experiment evaluates.</summary>
    public int MaxMetrics { get; set; } = 20;
}
