using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Notifications;

/// <summary>
/// The data of a CloudEvent on <see cref="Topics.NotificationsAlert"/> telling that an experiment workflow finished (a
/// run evaluated, or a configuration run over a dataset and scored). Its message id derives from the project and the run,
/// so the workflow's notify activity, re-executed after a crash, publishes one message.
/// </summary>
/// <param name="ProjectId">The run's project.</param>
/// <param name="RunId">The run (also the experiment's id).</param>
/// <param name="Kind"><c>evaluate</c> (a run's events scored) or <c>dataset</c> (a configuration run over a dataset).</param>
/// <param name="Status">The run's status: <c>completed</c> (failed targets do not fail a run).</param>
/// <param name="Total">How many targets (events or datapoints) the run had.</param>
/// <param name="Done">How many were worked through.</param>
/// <param name="Failed">How many of them failed.</param>
public sealed record ExperimentFinished(
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("done")] int Done,
    [property: JsonPropertyName("failed")] int Failed)
{
    /// <summary>The CloudEvent type of this notification.</summary>
    public const string EventType = "honeyhive.notifications.alert.experiment_finished.v1";

    /// <summary>The message id: one notification per run.</summary>
    [JsonIgnore]
    public string Id => $"experiment-finished-{ProjectId}-{RunId}";
}
