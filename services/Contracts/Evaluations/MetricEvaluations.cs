using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Evaluations;

/// <summary>
/// One metric evaluated on one event: what <c>POST /v1/metrics/run</c>, online evaluation and experiment workflows
/// hand to the evaluation engine (in process in single node, by Dapr service invocation to <c>dp-evaluation</c>
/// when distributed). The wire form is this record as JSON (snake_case).
/// </summary>
/// <param name="ProjectId">The project whose event, keys and compute the evaluation uses; never another's.</param>
/// <param name="Metric">The metric's definition in canonical form (every field of the spec's MetricVersionContent, as the DP's MetricDefinition.Normalize returns it).</param>
/// <param name="MetricId">The stored metric's id, null for an inline definition.</param>
/// <param name="MetricVersion">The stored version evaluated, null for an inline definition.</param>
/// <param name="Event">The event to score: event_id, event_type, event_name, inputs, outputs, feedback, metadata, config, metrics, user_properties (and ground_truth when a datapoint gives one).</param>
public sealed record EvaluationRequest(
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("metric")] JsonObject Metric,
    [property: JsonPropertyName("metric_id")] string? MetricId,
    [property: JsonPropertyName("metric_version")] int? MetricVersion,
    [property: JsonPropertyName("event")] JsonObject Event);

/// <summary>
/// The outcome of an evaluation. <see cref="Success"/> true: <see cref="Value"/> is the score converted to the metric's
/// return type (null for a HUMAN metric nobody has scored yet), <see cref="Passed"/> the threshold's verdict (null when
/// the metric has no threshold). False: <see cref="ErrorCode"/> is one of <see cref="EvaluationErrorCodes"/> and
/// <see cref="Message"/> says what went wrong in the metric author's terms.
/// </summary>
public sealed record EvaluationResult(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("value")] JsonNode? Value,
    [property: JsonPropertyName("explanation")] string? Explanation,
    [property: JsonPropertyName("passed")] bool? Passed,
    [property: JsonPropertyName("error_code")] string? ErrorCode,
    [property: JsonPropertyName("message")] string? Message)
{
    /// <summary>A failed evaluation with its error code and message.</summary>
    public static EvaluationResult Failed(string errorCode, string message) => new(false, null, null, null, errorCode, message);

    /// <summary>A score, with the explanation and pass/fail verdict when there are.</summary>
    public static EvaluationResult Scored(JsonNode? value, string? explanation, bool? passed) => new(true, value, explanation, passed, null, null);
}

/// <summary>The error codes an evaluation can end with, beyond the Python metric service's own (PythonMetricErrorCodes).</summary>
public static class EvaluationErrorCodes
{
    /// <summary>An LLM metric's prompt names a variable the event does not have, or is not a valid template.</summary>
    public const string TemplateRender = "template_render_error";

    /// <summary>The judge model's answer does not parse to the metric's return type.</summary>
    public const string LlmResponseParse = "llm_response_parse_error";

    /// <summary>The judge model could not be called (no key for the provider, the provider refused or failed).</summary>
    public const string LlmProvider = "llm_provider_error";

    /// <summary>A COMPOSITE metric's child is missing, failed, or is not numeric.</summary>
    public const string Composite = "composite_error";

    /// <summary>The metric needs ground truth and the event has none.</summary>
    public const string MissingGroundTruth = "missing_ground_truth";

    /// <summary>The metric's type cannot be evaluated by a machine here (HUMAN metrics are scored in annotation queues).</summary>
    public const string NotEvaluable = "not_evaluable";
}

/// <summary>
/// Evaluates metrics. Contract: a returned result is the whole outcome (a fault of the metric, its code, its prompt or the
/// judge's answer is a failed result, not an exception); the call throws only when the engine cannot run anything now
/// (<see cref="EvaluatorBusyException"/> when a project is over its concurrency, a dependency down) or when cancelled.
/// </summary>
public interface IMetricEvaluator
{
    /// <summary>Evaluates the request's metric on its event (see the interface's contract).</summary>
    Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken);
}

/// <summary>The engine cannot take this evaluation now (the project's concurrency or a provider's rate is used up).</summary>
public sealed class EvaluatorBusyException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>When a retry may succeed.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
