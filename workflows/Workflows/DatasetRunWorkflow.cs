using Dapr.Workflow;

namespace HoneyHive.Workflows.Workflows;

/// <summary>
/// Runs a configuration (prompt template, model, parameters) over every datapoint of a dataset through the LLM proxy,
/// each output a session of the run linked to its datapoint, then scores every output with the chosen metrics.
/// </summary>
public sealed class DatasetRunWorkflow : Workflow<DatasetRunInput, RunOutcome>
{
    public override async Task<RunOutcome> RunAsync(WorkflowContext context, DatasetRunInput input)
    {
        var targets = await context.CallActivityAsync<RunTargets>(ActivityNames.ListDatasetDatapoints, input, ExperimentSteps.Retry);
        return await ExperimentSteps.RunAsync(context, input.ProjectId, input.RunId, ExperimentSteps.DatasetKind, targets.Ids,
            input.Concurrency, datapointId => RunDatapointAsync(context, input, datapointId));
    }

    private static async Task<TargetResult> RunDatapointAsync(WorkflowContext context, DatasetRunInput input, string datapointId)
    {
        var output = await context.CallActivityAsync<GenerateOutput>(ActivityNames.GenerateOutput, new GenerateInput(input, datapointId), ExperimentSteps.Retry);
        if (output.Error is not null || output.Event is null) return new TargetResult(datapointId, output.EventId, [], output.Error ?? "No output.");
        return await ExperimentSteps.EvaluateAsync(context,
            new EvaluateInput(input.ProjectId, input.RunId, output.EventId, output.Event, input.Metrics), datapointId);
    }
}
