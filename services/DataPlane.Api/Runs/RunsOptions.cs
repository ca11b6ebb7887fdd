namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>Configuration section <c>Runs</c>: the bounds of every run read.</summary>
public sealed class RunsOptions
{
    /// <summary>Largest page of GET /v1/runs (the spec's maximum).</summary>
    public int ListMaxLimit { get; set; } = 100;

    /// <summary>Most events a summary, comparison or metrics read loads for one run.</summary>
    public int MaxRunEvents { get; set; } = 200_000;

    /// <summary>Most sessions (datapoint runs) one run may have.</summary>
    public int MaxRunSessions { get; set; } = 100_000;

    /// <summary>Most ids a run body may list in event_ids, session_ids or datapoint_ids.</summary>
    public int MaxIds { get; set; } = 100_000;

    /// <summary>Largest page of GET /v1/runs/{id}/metrics.</summary>
    public int MetricsMaxLimit { get; set; } = 10_000;

    /// <summary>Largest page of the paired events of two runs (the spec's maximum).</summary>
    public int CompareEventsMaxLimit { get; set; } = 1000;

    /// <summary>Most fields (and dataset ids, metric names) a schema answer lists.</summary>
    public int MaxSchemaFields { get; set; } = 10_000;
}
