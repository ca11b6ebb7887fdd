using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.PythonMetrics;

/// <summary>
/// One evaluation of a PYTHON metric's code on one event: what the DP API and the evaluation service
/// send to the Python metric service (in process in single node, by Dapr service invocation to
/// <c>dp-python-metric</c> when distributed). The wire form is this record as JSON (snake_case).
/// </summary>
/// <param name="ProjectId">The caller's project: the unit of fairness between tenants in the worker pool.</param>
/// <param name="CodeKey">Identifies <paramref name="Source"/> for the compiled-code cache (metric id and version, or a hash of the source for inline metrics). Same key, same source.</param>
/// <param name="MetricName">The metric's name: the function of that name is called when the source defines it.</param>
/// <param name="Source">The metric's <c>criteria</c>: Python source defining the function to call.</param>
/// <param name="ReturnType">float, boolean, string or categorical.</param>
/// <param name="Categories">The allowed answers of a categorical metric, null otherwise.</param>
/// <param name="Event">The event as the function receives it: inputs, outputs, feedback, metadata, config, metrics, user_properties, and ground_truth where there is one.</param>
/// <param name="TimeoutMs">Wall-clock limit of this run in the worker; the worker is killed and replaced when it passes.</param>
public sealed record PythonMetricRunRequest(
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("code_key")] string CodeKey,
    [property: JsonPropertyName("metric_name")] string MetricName,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("return_type")] string ReturnType,
    [property: JsonPropertyName("categories")] IReadOnlyList<string>? Categories,
    [property: JsonPropertyName("event")] JsonObject Event,
    [property: JsonPropertyName("timeout_ms")] int TimeoutMs);

/// <summary>
/// The outcome of a run. <see cref="Success"/> true: <see cref="Result"/> holds the value converted to the
/// return type. False: <see cref="ErrorCode"/> is one of <see cref="PythonMetricErrorCodes"/> and
/// <see cref="Message"/> says what went wrong in the user's terms (never a host path or host frame).
/// </summary>
public sealed record PythonMetricRunResult(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("result")] JsonNode? Result,
    [property: JsonPropertyName("explanation")] string? Explanation,
    [property: JsonPropertyName("error_code")] string? ErrorCode,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("line")] int? Line,
    [property: JsonPropertyName("stdout")] string? Stdout)
{
    /// <summary>A failed run with its error code, message and, for compilation errors, the line.</summary>
    public static PythonMetricRunResult Failed(string errorCode, string message, int? line = null) =>
        new(false, null, null, errorCode, message, line, null);
}

/// <summary>The error codes a run can end with (the first two as the reference API names them).</summary>
public static class PythonMetricErrorCodes
{
    /// <summary>The source does not compile, is refused by the sandbox policy, or defines no function to call; carries the line.</summary>
    public const string Compilation = "compilation_error";

    /// <summary>The code raised; the message is the Python traceback restricted to the user's frames.</summary>
    public const string Execution = "execution_error";

    /// <summary>The run passed its time limit; the worker was killed.</summary>
    public const string Timeout = "timeout_error";

    /// <summary>The run exceeded a resource limit (memory, output size) or crashed its worker.</summary>
    public const string ResourceLimit = "resource_limit_error";

    /// <summary>The function returned a value that does not convert to the metric's return type.</summary>
    public const string InvalidReturn = "invalid_return_error";

    /// <summary>Every code, for checks that a result names a known one.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { Compilation, Execution, Timeout, ResourceLimit, InvalidReturn };
}

/// <summary>
/// Runs PYTHON metric code. Contract: a returned result is the run's whole outcome (an error of the
/// user's code is a result, not an exception); the call throws only when the service itself cannot
/// run anything (no worker could be started, the Dapr call failed) or when <c>cancellationToken</c>
/// is cancelled. A run never outlives its <see cref="PythonMetricRunRequest.TimeoutMs"/> by more than
/// the time to kill its worker, and one project's runs never hold every worker.
/// </summary>
public interface IPythonMetricRunner
{
    /// <summary>Runs the request's code on its event and answers the outcome (see the interface's contract).</summary>
    Task<PythonMetricRunResult> RunAsync(PythonMetricRunRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Thrown by an <see cref="IPythonMetricRunner"/> when it cannot take the run now: the project already has as
/// many runs waiting for a worker as the service queues for one project, so the run is refused at once rather
/// than queued behind them (other projects are not affected). Routes answer 429 and the client retries after
/// <see cref="RetryAfter"/>.
/// </summary>
public sealed class PythonMetricBusyException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>How long the caller should wait before trying again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The project whose queue is full; null when the refusal came from further away (a Dapr call answered 429).</summary>
    public string? ProjectId { get; private init; }

    /// <summary>The refusal of a run whose project's queue is full.</summary>
    public static PythonMetricBusyException QueueFull(string projectId, int queued) =>
        new($"Project {projectId} already has {queued} Python metric runs waiting; try again later.", TimeSpan.FromSeconds(1))
        {
            ProjectId = projectId,
        };
}
