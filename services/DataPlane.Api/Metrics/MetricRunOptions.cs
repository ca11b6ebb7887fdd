namespace HoneyHive.DataPlane.Api.Metrics;

/// <summary>Configuration section <c>MetricRuns</c>: how <c>POST /v1/metrics/run</c> runs a metric.</summary>
public sealed class MetricRunOptions
{
    public const string Section = "MetricRuns";

    /// <summary>Time limit of one run in the Python metric service (which caps it at its own maximum).</summary>
    public int TimeoutMs { get; set; } = 5000;
}
