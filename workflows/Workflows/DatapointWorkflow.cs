using Dapr.Workflow;

namespace HoneyHive.Workflows.Workflows;

/// <summary>
/// One datapoint of a <see cref="DatasetRunWorkflow"/>: its output generated through the LLM proxy, then scored. A child
/// workflow of its own so the output (the whole event) stays in this small history: the parent's history, replayed on
/// every one of its turns, holds only each datapoint's short result, and a thousand-datapoint run does not replay a
/// thousand events at each step.
/// </summary>
public sealed class DatapointWorkflow : Workflow<GenerateInput, TargetResult>
{
    public override async Task<TargetResult> RunAsync(WorkflowContext context, GenerateInput input)
    {
        var output = await context.CallActivityAsync<GenerateOutput>(ActivityNames.GenerateOutput, input, ExperimentSteps.Retry);
        if (output.Error is not null || output.Event is null) return new TargetResult(input.DatapointId, output.EventId, [], output.Error ?? "No output.");
        return await ExperimentSteps.EvaluateAsync(context,
            new EvaluateInput(input.Run.ProjectId, input.Run.RunId, output.EventId, output.Event, input.Run.Metrics), input.DatapointId);
    }
}
