using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Workflow;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Notifications;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.Platform.Messaging;
using HoneyHive.Workflows;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>The run is running: its status, kind, number of targets and start time (a re-execution writes the same fields again).</summary>
public sealed class StartRunActivity(RunStore runs, TimeProvider clock) : WorkflowActivity<RunStart, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, RunStart input)
    {
        var metadata = new JsonObject
        {
            ["experiment_kind"] = input.Kind,
            ["workflow_instance_id"] = context.InstanceId,
            ["total"] = input.Total,
            ["started_at"] = clock.GetUtcNow().ToString("O"),
        };
        await runs.UpdateAsync(Guid.Parse(input.ProjectId), Guid.Parse(input.RunId),
            new RunChanges { Status = "running", Metadata = metadata }, CancellationToken.None);
        return true;
    }
}

/// <summary>
/// The run summary: status completed, each metric's aggregate under <c>results</c> (<c>{metric: {aggregate, count, errors,
/// min, max, passed, failed}}</c>), and under <c>metadata</c> the counts, the failed targets and the finish time.
/// </summary>
public sealed class FinishRunActivity(RunStore runs, TimeProvider clock) : WorkflowActivity<RunFinish, bool>
{
    /// <summary>The failed targets kept on the run; the count is always whole.</summary>
    public const int MaxFailedListed = 1000;

    public override async Task<bool> RunAsync(WorkflowActivityContext context, RunFinish input)
    {
        var results = new JsonObject();
        foreach (var (metric, aggregate) in input.Metrics)
        {
            results[metric] = new JsonObject
            {
                ["aggregate"] = aggregate.Mean,
                ["count"] = aggregate.Count,
                ["errors"] = aggregate.Errors,
                ["min"] = aggregate.Min,
                ["max"] = aggregate.Max,
                ["passed"] = aggregate.Passed,
                ["failed"] = aggregate.FailedThreshold,
            };
        }

        var metadata = new JsonObject
        {
            ["total"] = input.Total,
            ["done"] = input.Done,
            ["failed"] = input.FailedTargets.Count,
            ["failed_targets"] = new JsonArray([.. input.FailedTargets.Take(MaxFailedListed).Select(t => (JsonNode?)t)]),
            ["finished_at"] = clock.GetUtcNow().ToString("O"),
        };
        if (input.Errors is { Count: > 0 } errors)
            metadata["errors"] = new JsonObject(errors.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value)));
        await runs.UpdateAsync(Guid.Parse(input.ProjectId), Guid.Parse(input.RunId),
            new RunChanges { Status = "completed", Results = results, Metadata = metadata }, CancellationToken.None);
        return true;
    }
}

/// <summary>Publishes <see cref="ExperimentFinished"/> on notifications.alert (one message per run: its id derives from the run).</summary>
public sealed class NotifyRunFinishedActivity(IEventPublisher publisher, TimeProvider clock) : WorkflowActivity<RunFinish, bool>
{
    public const string Source = "/honeyhive/evaluation/experiments";

    public override async Task<bool> RunAsync(WorkflowActivityContext context, RunFinish input)
    {
        var finished = new ExperimentFinished(input.ProjectId, input.RunId, input.Kind, "completed", input.Total, input.Done, input.FailedTargets.Count);
        var envelope = new CloudEvent<ExperimentFinished>(finished.Id, Source, ExperimentFinished.EventType, finished)
        {
            Topic = Topics.NotificationsAlert,
            Time = clock.GetUtcNow(),
        };
        await publisher.PublishAsync(
            new OutgoingMessage(Topics.NotificationsAlert, finished.Id, JsonSerializer.SerializeToUtf8Bytes(envelope)), CancellationToken.None);
        return true;
    }
}
