using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Grpc.Core;
using Grpc.Net.Client;

namespace HoneyHive.Workflows.Tests;

/// <summary>The SDK's real worker and client over the embedded backend, as the single node runs them.</summary>
[Collection(WorkflowCollection.Name)]
public sealed class EmbeddedBackendTests(WorkflowDatabase database) : IAsyncLifetime
{
    private readonly string hub = "t" + Guid.NewGuid().ToString("N")[..12];
    private EngineHost host = null!;

    public async Task InitializeAsync() => host = await EngineHost.StartAsync(database.ConnectionString, hub);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_sequential_workflow_runs_both_activities_and_its_output_and_status_are_read_through_the_client()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(SequentialWorkflow), "seq-1", "hello");

        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal("seq-1", id);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("HELLO!", state.ReadOutputAs<string>());
        var read = await host.Client.GetWorkflowStateAsync(id, getInputsAndOutputs: true);
        Assert.NotNull(read);
        Assert.Equal(nameof(SequentialWorkflow), read.WorkflowName);
        Assert.Equal("hello", read.ReadInputAs<string>());
        // Nothing of a finished instance is left to dispatch.
        Assert.Equal(0, await database.CountAsync("workflow_activities", hub));
        Assert.Equal(0, await database.CountAsync("workflow_inbox", hub));
    }

    [Fact]
    public async Task Fifty_activities_fan_out_in_batches_of_ten_and_fan_in_to_the_sum_of_their_results()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(FanOutWorkflow), "fan-" + hub, new FanOutInput(50, 10));

        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 50).Sum(i => (long)i * i), state.ReadOutputAs<long>());
        Assert.InRange(SquareActivity.MostAtOnce[id], 1, 10);
    }

    [Fact]
    public async Task A_timer_fires_no_earlier_than_its_due_time_in_workflow_time()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), "timer-" + hub, 300);

        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal("fired after its time", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task An_activity_that_fails_twice_succeeds_on_its_third_attempt_under_a_retry_policy()
    {
        var key = "retry-" + hub;
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(RetryWorkflow), key, key);

        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        Assert.Equal(3, FlakyActivity.Attempts[key]);
    }

    [Fact]
    public async Task An_external_event_completes_the_workflow_waiting_for_it()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "event-" + hub, "report");
        await host.Client.WaitForWorkflowStartAsync(id);

        await host.Client.RaiseEventAsync(id, "approval", "ada");
        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal("report approved by ada", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_terminated_workflow_ends_terminated_with_the_given_output()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "term-" + hub, "report");
        await host.Client.WaitForWorkflowStartAsync(id);

        await host.Client.TerminateWorkflowAsync(id, "stopped by test");
        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal(WorkflowRuntimeStatus.Terminated, state.RuntimeStatus);
        Assert.Equal("stopped by test", state.ReadOutputAs<string>());
        // An event for a finished instance is dropped, not queued.
        await host.Client.RaiseEventAsync(id, "approval", "late");
        Assert.Equal(0, await database.CountAsync("workflow_inbox", hub));
    }

    [Fact]
    public async Task A_suspended_workflow_takes_no_turn_until_it_is_resumed()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "susp-" + hub, "report");
        await host.Client.WaitForWorkflowStartAsync(id);

        await host.Client.SuspendWorkflowAsync(id, "pause");
        await host.Client.RaiseEventAsync(id, "approval", "ada");
        // Another workflow completing shows the dispatcher ran turns after the event arrived.
        var other = await host.Client.ScheduleNewWorkflowAsync(nameof(SequentialWorkflow), "susp-other-" + hub, "x");
        await EngineHost.CompletedAsync(host.Client, other);
        var suspended = await host.Client.GetWorkflowStateAsync(id);
        Assert.Equal(WorkflowRuntimeStatus.Suspended, suspended!.RuntimeStatus);

        await host.Client.ResumeWorkflowAsync(id, "go");
        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("report approved by ada", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Continue_as_new_restarts_the_instance_with_the_new_input_until_it_returns()
    {
        var id = await host.Client.ScheduleNewWorkflowAsync(nameof(CountingWorkflow), "can-" + hub, 1);

        var state = await EngineHost.CompletedAsync(host.Client, id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        Assert.Equal(3, state.ReadInputAs<int>());
    }

    [Fact]
    public async Task Instances_are_listed_page_by_page_and_a_finished_one_is_purged()
    {
        foreach (var n in new[] { 1, 2, 3 })
        {
            var id = await host.Client.ScheduleNewWorkflowAsync(nameof(SequentialWorkflow), $"list-{n}", "x");
            await EngineHost.CompletedAsync(host.Client, id);
        }

        var first = await host.Client.ListInstanceIdsAsync(null, 2);
        var second = await host.Client.ListInstanceIdsAsync(first.ContinuationToken, 2);
        Assert.Equal(["list-1", "list-2"], first.InstanceIds);
        Assert.Equal(["list-3"], second.InstanceIds);
        Assert.Null(second.ContinuationToken);

        Assert.True(await host.Client.PurgeInstanceAsync("list-2"));
        var purged = await host.Client.GetWorkflowStateAsync("list-2");
        Assert.False(purged?.Exists ?? false);
        Assert.Equal(["list-1", "list-3"], (await host.Client.ListInstanceIdsAsync(null, 10)).InstanceIds);
    }

    [Fact]
    public async Task A_method_the_backend_does_not_implement_answers_unimplemented_with_a_message()
    {
        using var channel = GrpcChannel.ForAddress(host.Address);
        var sidecar = new TaskHubSidecarService.TaskHubSidecarServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await sidecar.RerunWorkflowFromEventAsync(new RerunWorkflowFromEventRequest { SourceInstanceID = "x" }));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("RerunWorkflowFromEvent", error.Status.Detail);
    }
}
