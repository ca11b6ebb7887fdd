using System.Text.Json.Nodes;

namespace HoneyHive.Workflows;

/// <summary>A stored metric pinned to the version an experiment evaluates, so a replay or a resume scores with the same definition.</summary>
public sealed record MetricRef(string Id, int Version, string Name);

/// <summary>Input of <see cref="Workflows.EvaluateRunWorkflow"/>: score a run's events with chosen metrics.</summary>
public sealed record EvaluateRunInput(string ProjectId, string RunId, IReadOnlyList<MetricRef> Metrics, int Concurrency);

/// <summary>Input of <see cref="Workflows.DatasetRunWorkflow"/>: a pinned configuration version over every datapoint of a dataset, then every output scored.</summary>
public sealed record DatasetRunInput(
    string ProjectId, string RunId, string Name, string DatasetId, string ConfigurationId, int ConfigurationVersion,
    IReadOnlyList<MetricRef> Metrics, int Concurrency);

/// <summary>What a workflow works through: event ids (evaluate a run) or datapoint ids (run a dataset).</summary>
public sealed record RunTargets(IReadOnlyList<string> Ids);

/// <summary>Marks a run running with its number of targets.</summary>
public sealed record RunStart(string ProjectId, string RunId, string Kind, int Total);

/// <summary>Runs the configuration on one datapoint.</summary>
public sealed record GenerateInput(DatasetRunInput Run, string DatapointId);

/// <summary>The datapoint's session event (inputs, the model's output, ground truth), ready to be scored; or why it could not be produced.</summary>
public sealed record GenerateOutput(string EventId, JsonObject? Event, string? Error);

/// <summary>Scores one event with every metric; <paramref name="Event"/> is given when the store may not hold it yet (a fresh output).</summary>
public sealed record EvaluateInput(string ProjectId, string RunId, string EventId, JsonObject? Event, IReadOnlyList<MetricRef> Metrics);

/// <summary>One metric's outcome on one event: its numeric value when it has one, its verdict, or its error.</summary>
public sealed record MetricScore(string Metric, bool Success, double? Number, bool? Passed, string? Error);

/// <summary>Every metric's outcome on one event; <paramref name="Error"/> when the event could not be scored at all.</summary>
public sealed record EvaluateOutput(IReadOnlyList<MetricScore> Scores, string? Error);

/// <summary>One target's outcome as the workflow records it.</summary>
public sealed record TargetResult(string Target, string? EventId, IReadOnlyList<MetricScore> Scores, string? Error)
{
    /// <summary>Failed: not produced, not scorable, or a metric failed on it.</summary>
    public bool Failed => Error is not null || Scores.Any(s => !s.Success);

    /// <summary>Why it failed: its own error, else the first failed metric's.</summary>
    public string? Reason => Error ?? Scores.FirstOrDefault(s => !s.Success)?.Error;
}

/// <summary>The workflow's progress, kept as its custom status after every batch.</summary>
public sealed record RunProgress(int Total, int Done, int Failed);

/// <summary>One metric's aggregate over a run: how many scored, how many failed, numeric mean/min/max, and passes against the threshold.</summary>
public sealed record MetricAggregate(int Count, int Errors, double? Mean, double? Min, double? Max, int Passed, int FailedThreshold);

/// <summary>The run summary the last activity writes.</summary>
public sealed record RunFinish(
    string ProjectId, string RunId, string Kind, int Total, int Done, IReadOnlyList<string> FailedTargets,
    IReadOnlyDictionary<string, MetricAggregate> Metrics, IReadOnlyDictionary<string, string>? Errors = null);

/// <summary>What a finished experiment workflow returns.</summary>
public sealed record RunOutcome(int Total, int Done, int Failed, IReadOnlyDictionary<string, MetricAggregate> Metrics);
