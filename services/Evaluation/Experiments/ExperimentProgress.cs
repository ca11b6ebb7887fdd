using System.Text.Json.Nodes;
using Dapr.Workflow;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.Workflows;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>An experiment's progress as <c>GET /v1/experiments/{id}</c> answers it: the run's status and times, the workflow's counts.</summary>
public static class ExperimentProgress
{
    /// <summary>The run status a workflow state stands for; null when there is no workflow.</summary>
    public static string? RunStatus(WorkflowState? state) => state?.RuntimeStatus switch
    {
        null => null,
        WorkflowRuntimeStatus.Completed => "completed",
        WorkflowRuntimeStatus.Failed => "failed",
        WorkflowRuntimeStatus.Terminated or WorkflowRuntimeStatus.Canceled or WorkflowRuntimeStatus.Suspended => "cancelled",
        WorkflowRuntimeStatus.Pending => "pending",
        _ => "running",
    };

    public static JsonObject ToJson(Run run, string instance, WorkflowState? state)
    {
        // While running the workflow's custom status is the live count; once finished the run's metadata holds the totals.
        var progress = Progress(state);
        int? Count(string key) => run.Metadata[key] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
        var json = new JsonObject
        {
            ["experiment_id"] = run.Id.ToString(),
            ["run_id"] = run.Id.ToString(),
            ["instance_id"] = instance,
            ["kind"] = run.Metadata["experiment_kind"]?.DeepClone(),
            ["status"] = run.Status,
            ["workflow_status"] = state?.RuntimeStatus.ToString().ToLowerInvariant(),
            ["total"] = progress?.Total ?? Count("total"),
            ["done"] = progress?.Done ?? Count("done") ?? 0,
            ["failed"] = progress?.Failed ?? Count("failed") ?? 0,
            ["started_at"] = run.Metadata["started_at"]?.DeepClone(),
            ["finished_at"] = run.Metadata["finished_at"]?.DeepClone(),
            ["results"] = run.Results.DeepClone(),
        };
        if (state?.FailureDetails is { } failure) json["error"] = failure.ErrorMessage;
        return json;
    }

    private static RunProgress? Progress(WorkflowState? state)
    {
        if (state is null) return null;
        try
        {
            return state.ReadCustomStatusAs<RunProgress>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
