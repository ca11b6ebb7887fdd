using Dapr.Workflow;

namespace HoneyHive.Workflows.Workflows;

/// <summary>
/// Runs a configuration (prompt template, model, parameters) over every datapoint of a dataset through the LLM proxy,
/// each output a session of the run linked to its datapoint, then scores every output with the chosen metrics (each
/// datapoint a <see cref="DatapointWorkflow"/>).
/// </summary>
public sealed class DatasetRunWorkflow : Workflow<DatasetRunInput, RunOutcome>
{
    public override async Task<RunOutcome> RunAsync(WorkflowContext context, DatasetRunInput input)
    {
        var targets = await context.CallActivityAsync<RunTargets>(ActivityNames.ListDatasetDatapoints, input, ExperimentSteps.Retry);
        return await ExperimentSteps.RunAsync(context, input.ProjectId, input.RunId, ExperimentSteps.DatasetKind, targets.Ids,
            input.Concurrency, datapointId => RunDatapointAsync(context, input, datapointId));
    }

    // A datapoint's id names its child workflow, so a replayed parent finds the child it started before a crash.
    private static Task<TargetResult> RunDatapointAsync(WorkflowContext context, DatasetRunInput input, string datapointId) =>
        context.CallChildWorkflowAsync<TargetResult>(nameof(DatapointWorkflow), new GenerateInput(input, datapointId),
            new ChildWorkflowTaskOptions($"{context.InstanceId}-dp-{datapointId}"));
}
