using Dapr.Workflow;

namespace HoneyHive.Workflows.Workflows;

/// <summary>Scores a run's events (its event_ids, or every event of its sessions) with the chosen metrics.</summary>
public sealed class EvaluateRunWorkflow : Workflow<EvaluateRunInput, RunOutcome>
{
    public override async Task<RunOutcome> RunAsync(WorkflowContext context, EvaluateRunInput input)
    {
        var targets = await context.CallActivityAsync<RunTargets>(ActivityNames.ListRunEvents, input, ExperimentSteps.Retry);
        return await ExperimentSteps.RunAsync(context, input.ProjectId, input.RunId, ExperimentSteps.EvaluateKind, targets.Ids,
            input.Concurrency,
            eventId => ExperimentSteps.EvaluateAsync(context, new EvaluateInput(input.ProjectId, input.RunId, eventId, null, input.Metrics), eventId));
    }
}
