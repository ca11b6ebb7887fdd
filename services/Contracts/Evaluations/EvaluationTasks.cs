using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Evaluations;

/// <summary>
/// An online evaluation to run: one deployed metric version on one event, published on
/// <see cref="Topics.EvaluationRequested"/> (evaluation-stream). Its message id is <see cref="Id"/>, so the same task
/// queued twice is one message, and the score it produces is keyed the same way, so a redelivery never adds a second one.
/// </summary>
public sealed record EvaluationTask(
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("metric_id")] string MetricId,
    [property: JsonPropertyName("metric_version")] int MetricVersion,
    [property: JsonPropertyName("event_id")] string EventId,
    [property: JsonPropertyName("session_id")] string? SessionId,
    [property: JsonPropertyName("event")] JsonObject? Event)
{
    /// <summary>The task's identity: the same metric version on the same event is the same task.</summary>
    [JsonIgnore]
    public string Id => $"eval-{ProjectId}-{EventId}-{MetricId}-v{MetricVersion}";
}
