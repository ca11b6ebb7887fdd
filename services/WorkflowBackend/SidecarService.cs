using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.WorkflowBackend;

/// <summary>
/// The TaskHubSidecarService methods the Dapr Workflow SDK calls, served over the PostgreSQL store: what daprd's
/// workflow engine answers in distributed mode. Bound by <see cref="SidecarMethods"/> (the package ships no server base).
/// </summary>
public sealed class SidecarService
{
    private const int MaxPageSize = 1000;
    private readonly WorkflowStore store;
    private readonly WorkItemDispatcher dispatcher;
    private readonly ILogger<SidecarService> logger;
    private readonly IHostApplicationLifetime lifetime;

    internal SidecarService(WorkflowStore store, WorkItemDispatcher dispatcher, ILogger<SidecarService> logger, IHostApplicationLifetime lifetime)
    {
        this.store = store;
        this.dispatcher = dispatcher;
        this.logger = logger;
        this.lifetime = lifetime;
    }

    internal Task<Empty> HelloAsync(Empty request, ServerCallContext context) => Task.FromResult(new Empty());

    internal async Task<CreateInstanceResponse> StartInstanceAsync(CreateInstanceRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.Name)) throw new RpcException(new Status(StatusCode.InvalidArgument, "name is required."));
        if (string.IsNullOrEmpty(request.InstanceId)) request.InstanceId = Guid.NewGuid().ToString("N");
        if (await store.StartAsync(request, context.CancellationToken) == WorkflowStore.StartOutcome.AlreadyRunning)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"An active workflow instance with ID '{request.InstanceId}' already exists."));
        }
        dispatcher.Signal();
        return new CreateInstanceResponse { InstanceId = request.InstanceId };
    }

    internal async Task<GetInstanceResponse> GetInstanceAsync(GetInstanceRequest request, ServerCallContext context)
    {
        var state = await store.GetAsync(request.InstanceId, request.GetInputsAndOutputs, context.CancellationToken);
        return state is null ? new GetInstanceResponse { Exists = false } : new GetInstanceResponse { Exists = true, WorkflowState = state };
    }

    internal Task<GetInstanceResponse> WaitForInstanceStartAsync(GetInstanceRequest request, ServerCallContext context) =>
        WaitAsync(request, context, s => s.WorkflowStatus != OrchestrationStatus.Pending);

    internal Task<GetInstanceResponse> WaitForInstanceCompletionAsync(GetInstanceRequest request, ServerCallContext context) =>
        WaitAsync(request, context, s => WorkflowStore.IsTerminal(s.WorkflowStatus) || s.WorkflowStatus == OrchestrationStatus.ContinuedAsNew);

    /// <summary>Answers when the state satisfies <paramref name="done"/>; re-reads on every change and at least each second.</summary>
    private async Task<GetInstanceResponse> WaitAsync(GetInstanceRequest request, ServerCallContext context, Func<WorkflowState, bool> done)
    {
        var ct = context.CancellationToken;
        while (true)
        {
            var changed = dispatcher.Changed;
            var state = await store.GetAsync(request.InstanceId, request.GetInputsAndOutputs, ct);
            if (state is null) return new GetInstanceResponse { Exists = false };
            if (done(state)) return new GetInstanceResponse { Exists = true, WorkflowState = state };
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(1), ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    internal async Task<RaiseEventResponse> RaiseEventAsync(RaiseEventRequest request, ServerCallContext context)
    {
        if (!await store.RaiseEventAsync(request.InstanceId, request.Name, request.Input, context.CancellationToken)) throw NotFound(request.InstanceId);
        dispatcher.Signal();
        return new RaiseEventResponse();
    }

    internal async Task<TerminateResponse> TerminateInstanceAsync(TerminateRequest request, ServerCallContext context)
    {
        if (!await store.TerminateAsync(request.InstanceId, request.Output, request.Recursive, context.CancellationToken)) throw NotFound(request.InstanceId);
        dispatcher.Signal();
        return new TerminateResponse();
    }

    internal async Task<SuspendResponse> SuspendInstanceAsync(SuspendRequest request, ServerCallContext context)
    {
        if (!await store.SuspendAsync(request.InstanceId, request.Reason, context.CancellationToken)) throw NotFound(request.InstanceId);
        dispatcher.Signal();
        return new SuspendResponse();
    }

    internal async Task<ResumeResponse> ResumeInstanceAsync(ResumeRequest request, ServerCallContext context)
    {
        if (!await store.ResumeAsync(request.InstanceId, request.Reason, context.CancellationToken)) throw NotFound(request.InstanceId);
        dispatcher.Signal();
        return new ResumeResponse();
    }

    internal async Task<PurgeInstancesResponse> PurgeInstancesAsync(PurgeInstancesRequest request, ServerCallContext context)
    {
        var deleted = await store.PurgeAsync(request, context.CancellationToken);
        return new PurgeInstancesResponse { DeletedInstanceCount = deleted, IsComplete = true };
    }

    internal async Task<ListInstanceIDsResponse> ListInstanceIdsAsync(ListInstanceIDsRequest request, ServerCallContext context)
    {
        var pageSize = request.HasPageSize && request.PageSize > 0 ? (int)Math.Min(request.PageSize, MaxPageSize) : 100;
        var (ids, next) = await store.ListIdsAsync(request.HasContinuationToken ? request.ContinuationToken : null, pageSize, context.CancellationToken);
        var response = new ListInstanceIDsResponse();
        response.InstanceIds.AddRange(ids);
        if (next is not null) response.ContinuationToken = next;
        return response;
    }

    internal async Task<GetInstanceHistoryResponse> GetInstanceHistoryAsync(GetInstanceHistoryRequest request, ServerCallContext context)
    {
        var events = await store.HistoryAsync(request.InstanceId, context.CancellationToken) ?? throw NotFound(request.InstanceId);
        var response = new GetInstanceHistoryResponse();
        response.Events.AddRange(events);
        return response;
    }

    /// <summary>The worker's stream: work items as the dispatcher hands them over, until the worker hangs up.</summary>
    internal async Task GetWorkItemsAsync(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        // The stream also ends when the application stops: Kestrel would otherwise wait for it until its shutdown timeout.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        await dispatcher.Ready.WaitAsync(ended.Token);
        var stream = dispatcher.Connect();
        try
        {
            await foreach (var item in stream.Items.Reader.ReadAllAsync(ended.Token))
            {
                await responseStream.WriteAsync(item, ended.Token);
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The worker hung up or the server is stopping.
        }
        finally
        {
            await dispatcher.DisconnectAsync(stream);
        }
    }

    internal async Task<CompleteTaskResponse> CompleteActivityTaskAsync(ActivityResponse request, ServerCallContext context)
    {
        var token = Token(request.CompletionToken);
        dispatcher.Forget(token);
        if (!await store.CompleteActivityAsync(token, request, context.CancellationToken))
        {
            // The lease was lost (released, redone, or the instance ended): the SDK drops this result, as it should.
            logger.LogInformation("Dropped the result of activity task {TaskId} of {InstanceId}: its lease is gone", request.TaskId, request.InstanceId);
            throw new RpcException(new Status(StatusCode.NotFound, "No such activity work item: its lease expired or the instance ended."));
        }
        dispatcher.Signal();
        return new CompleteTaskResponse();
    }

    internal async Task<CompleteTaskResponse> CompleteOrchestratorTaskAsync(WorkflowResponse request, ServerCallContext context)
    {
        var token = Token(request.CompletionToken);
        dispatcher.Forget(token);
        if (!await store.CompleteOrchestrationAsync(token, request, context.CancellationToken))
        {
            logger.LogInformation("Dropped a turn of {InstanceId}: its lease is gone", request.InstanceId);
            throw new RpcException(new Status(StatusCode.NotFound, "No such workflow work item: its lease expired or the instance ended."));
        }
        dispatcher.Signal();
        return new CompleteTaskResponse();
    }

    private static Guid Token(string completionToken) => Guid.TryParse(completionToken, out var token)
        ? token
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "completionToken is not one this backend issued."));

    private static RpcException NotFound(string instanceId) =>
        new(new Status(StatusCode.NotFound, $"No workflow instance with ID '{instanceId}' exists."));
}
