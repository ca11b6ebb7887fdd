using Dapr.Workflow;
using Dapr.Workflow.Client;

namespace HoneyHive.Workflows.Tests;

/// <summary>The single node dies mid-workflow; a new process on the same database finishes the work.</summary>
[Collection(WorkflowCollection.Name)]
public sealed class RestartTests(WorkflowDatabase database)
{
    [Fact]
    public async Task A_workflow_cut_off_by_a_stopped_host_completes_on_a_new_one_with_each_activity_counted_once()
    {
        const int count = 8;
        var hub = "r" + Guid.NewGuid().ToString("N")[..12];
        // The first process's activities all start and never finish: its gate stays shut.
        var first = await EngineHost.StartAsync(database.ConnectionString, hub, gateOpen: false);
        var id = await first.Client.ScheduleNewWorkflowAsync(nameof(BlockingFanOutWorkflow), "restart-" + hub, count);
        await Eventually.TrueAsync(() => first.Gate.Started == count, "every activity to be running in the first process");
        await first.StopAsync();
        Assert.Equal(count, await database.CountAsync("workflow_activities", hub));

        await using var second = await EngineHost.StartAsync(database.ConnectionString, hub);
        var state = await EngineHost.CompletedAsync(second.Client, id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(count * (count + 1) / 2, state.ReadOutputAs<long>());
        Assert.Equal(count, GatedActivity.Effects[id]);
        var history = await second.Client.GetInstanceHistoryAsync(id);
        Assert.Equal(count, history.Count(e => e.EventType == WorkflowHistoryEventType.TaskScheduled));
        Assert.Equal(count, history.Count(e => e.EventType == WorkflowHistoryEventType.TaskCompleted));
        await first.DisposeAsync();
    }
}
