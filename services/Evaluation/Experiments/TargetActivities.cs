using Dapr.Workflow;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.Workflows;
using Microsoft.Extensions.Options;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>The events a run evaluation scores: the run's declared event_ids, or else every current event of its sessions.</summary>
public sealed class ListRunEventsActivity(RunStore runs, RunEvents events, IOptions<ExperimentOptions> options)
    : WorkflowActivity<EvaluateRunInput, RunTargets>
{
    public override async Task<RunTargets> RunAsync(WorkflowActivityContext context, EvaluateRunInput input)
    {
        var project = Guid.Parse(input.ProjectId);
        var run = await runs.GetAsync(project, Guid.Parse(input.RunId), CancellationToken.None);
        if (run is null) return new RunTargets([]);
        if (run.EventIds.Count > 0) return new RunTargets([.. run.EventIds.Distinct(StringComparer.Ordinal).Take(options.Value.MaxTargets)]);
        var set = await events.LoadAsync(project, run, [], null, null, CancellationToken.None);
        return new RunTargets([.. set.Events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Take(options.Value.MaxTargets)]);
    }
}

/// <summary>The datapoints of the experiment's dataset, in the dataset's order.</summary>
public sealed class ListDatasetDatapointsActivity(DatapointStore datapoints, IOptions<ExperimentOptions> options)
    : WorkflowActivity<DatasetRunInput, RunTargets>
{
    public override async Task<RunTargets> RunAsync(WorkflowActivityContext context, DatasetRunInput input)
    {
        var rows = await datapoints.ListAsync(Guid.Parse(input.ProjectId), new DatapointFilter(null, Guid.Parse(input.DatasetId), null),
            options.Value.MaxTargets, 0, CancellationToken.None);
        return new RunTargets([.. rows.Select(r => r.Id.ToString())]);
    }
}
