using Dapr.DurableTask.Protobuf;
using Npgsql;

namespace HoneyHive.WorkflowBackend;

internal sealed partial class WorkflowStore
{
    private sealed record LeasedInstance(string Name, string ExecutionId, OrchestrationStatus Status, string? ParentId, int? ParentTaskId);

    /// <summary>
    /// Commits an orchestration turn: the events it was given join the history, each action becomes its history event
    /// (the action id is the event id the SDK matches results against) and its effect (an activity to run, a timer in
    /// the inbox, a message or child instance, the completion). Returns false, changing nothing, when the turn's lease
    /// is gone (terminated meanwhile, or redone after a restart).
    /// </summary>
    public async Task<bool> CompleteOrchestrationAsync(Guid token, WorkflowResponse response, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = response.InstanceId;
        var instance = await LockLeasedAsync(connection, tx, id, token, ct);
        if (instance is null) return false;

        // The events the turn was given, in the order it saw them: its WorkflowStarted, then the inbox in arrival order.
        var history = await ReadEventsAsync(connection, tx,
            """
            WITH consumed AS (DELETE FROM workflow_inbox WHERE hub = $1 AND instance_id = $2 AND turn_token = $3 RETURNING id, kind, event)
            SELECT event FROM consumed ORDER BY kind <> 'WorkflowStarted', id
            """, ct, hub, id, token);

        var status = instance.Status == OrchestrationStatus.Pending ? OrchestrationStatus.Running : instance.Status;
        string? output = null;
        byte[]? failure = null;
        var continued = false;
        var completed = false;
        foreach (var action in response.Actions)
        {
            switch (action.WorkflowActionTypeCase)
            {
                case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                    history.Add(await ScheduleTaskAsync(connection, tx, id, instance.ExecutionId, action, ct));
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CreateTimer:
                    history.Add(await CreateTimerAsync(connection, tx, id, action, ct));
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.SendEvent:
                    history.Add(await SendEventAsync(connection, tx, action, ct));
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CreateChildWorkflow:
                    history.Add(await CreateChildAsync(connection, tx, id, instance, action, ct));
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CreateDetachedWorkflow:
                    history.Add(await CreateDetachedAsync(connection, tx, action, ct));
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.TerminateWorkflow:
                    var terminate = action.TerminateWorkflow;
                    await TerminateAsync(connection, tx, terminate.InstanceId, terminate.Reason, terminate.Recurse, ct);
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.WorkflowVersionNotAvailable:
                    status = OrchestrationStatus.Stalled;
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow:
                    var complete = action.CompleteWorkflow;
                    if (complete.WorkflowStatus == OrchestrationStatus.ContinuedAsNew)
                    {
                        await ContinueAsNewAsync(connection, tx, id, instance, complete, ct);
                        continued = true;
                        status = OrchestrationStatus.Running;
                        break;
                    }
                    if (complete.WorkflowStatus == OrchestrationStatus.Stalled)
                    {
                        status = OrchestrationStatus.Stalled;
                        break;
                    }
                    history.Add(Events.ExecutionCompleted(action.Id, complete.WorkflowStatus, complete.Result, complete.FailureDetails));
                    status = complete.WorkflowStatus;
                    output = complete.Result;
                    failure = complete.FailureDetails is null ? null : Events.Bytes(complete.FailureDetails);
                    completed = true;
                    break;
            }
        }

        if (!continued)
        {
            await AppendHistoryAsync(connection, tx, id, history, ct);
        }
        if (completed)
        {
            await DropPendingWorkAsync(connection, tx, id, ct);
            await NotifyParentAsync(connection, tx, instance.ParentId, instance.ParentTaskId, status, output, response.CustomStatus, failure, ct);
        }

        await ExecuteAsync(connection, tx,
            """
            UPDATE workflow_instances SET status = $3, output = COALESCE($4, output), failure = COALESCE($5, failure), custom_status = COALESCE($6, custom_status),
                updated_at = now(), completed_at = CASE WHEN $7 THEN now() ELSE completed_at END,
                lease_owner = NULL, lease_token = NULL, lease_expires = NULL
            WHERE hub = $1 AND instance_id = $2
            """, ct, hub, id, (int)status, output, failure, response.CustomStatus, completed);
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task<LeasedInstance?> LockLeasedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, Guid token, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT name, execution_id, status, parent_instance_id, parent_task_id FROM workflow_instances WHERE hub = $1 AND instance_id = $2 AND lease_token = $3 FOR UPDATE",
            connection, tx);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(token);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new LeasedInstance(reader.GetString(0), reader.GetString(1), (OrchestrationStatus)reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt32(4));
    }

    private async Task AppendHistoryAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, List<HistoryEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO workflow_history (hub, instance_id, seq, event)
            SELECT $1, $2, base.next + e.ordinality - 1, e.event
            FROM (SELECT COALESCE(max(seq), 0) + 1 AS next FROM workflow_history WHERE hub = $1 AND instance_id = $2) base,
                 unnest($3::bytea[]) WITH ORDINALITY AS e(event, ordinality)
            """, connection, tx);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(events.Select(Events.Bytes).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<HistoryEvent> ScheduleTaskAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, string executionId, WorkflowAction action, CancellationToken ct)
    {
        var task = action.ScheduleTask;
        var scheduled = new TaskScheduledEvent { Name = task.Name, TaskExecutionId = task.TaskExecutionId };
        if (task.Version is not null) scheduled.Version = task.Version;
        if (task.Input is not null) scheduled.Input = task.Input;
        var e = Events.New(action.Id);
        e.TaskScheduled = scheduled;

        var request = new ActivityRequest
        {
            Name = task.Name,
            WorkflowInstance = new WorkflowInstance { InstanceId = id, ExecutionId = executionId },
            TaskId = action.Id,
            TaskExecutionId = task.TaskExecutionId,
        };
        if (task.Version is not null) request.Version = task.Version;
        if (task.Input is not null) request.Input = task.Input;
        await ExecuteAsync(connection, tx, "INSERT INTO workflow_activities (hub, instance_id, task_id, request) VALUES ($1, $2, $3, $4)", ct,
            hub, id, action.Id, Events.Bytes(request));
        return e;
    }

    private async Task<HistoryEvent> CreateTimerAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, WorkflowAction action, CancellationToken ct)
    {
        var timer = action.CreateTimer;
        var created = new TimerCreatedEvent { FireAt = timer.FireAt };
        if (timer.HasName) created.Name = timer.Name;
        switch (timer.OriginCase)
        {
            case CreateTimerAction.OriginOneofCase.CreateTimer: created.CreateTimer = timer.CreateTimer; break;
            case CreateTimerAction.OriginOneofCase.ExternalEvent: created.ExternalEvent = timer.ExternalEvent; break;
            case CreateTimerAction.OriginOneofCase.ActivityRetry: created.ActivityRetry = timer.ActivityRetry; break;
            case CreateTimerAction.OriginOneofCase.ChildWorkflowRetry: created.ChildWorkflowRetry = timer.ChildWorkflowRetry; break;
        }
        var e = Events.New(action.Id);
        e.TimerCreated = created;

        // The timer is a TimerFired event in the inbox that stays invisible until it is due.
        var fired = Events.New();
        fired.TimerFired = new TimerFiredEvent { FireAt = timer.FireAt, TimerId = action.Id };
        await AddToInboxAsync(connection, tx, id, fired, timer.FireAt?.ToDateTime(), ct);
        return e;
    }

    private async Task<HistoryEvent> SendEventAsync(NpgsqlConnection connection, NpgsqlTransaction tx, WorkflowAction action, CancellationToken ct)
    {
        var send = action.SendEvent;
        var sent = new EventSentEvent { InstanceId = send.Instance?.InstanceId ?? "", Name = send.Name };
        if (send.Data is not null) sent.Input = send.Data;
        var e = Events.New(action.Id);
        e.EventSent = sent;
        await RaiseAsync(connection, tx, sent.InstanceId, send.Name, send.Data, ct);
        return e;
    }

    private async Task<HistoryEvent> CreateChildAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string parentId, LeasedInstance parent, WorkflowAction action, CancellationToken ct)
    {
        var child = action.CreateChildWorkflow;
        var created = new ChildWorkflowInstanceCreatedEvent { InstanceId = child.InstanceId, Name = child.Name };
        if (child.Version is not null) created.Version = child.Version;
        if (child.Input is not null) created.Input = child.Input;
        var e = Events.New(action.Id);
        e.ChildWorkflowInstanceCreated = created;

        var parentInfo = new ParentInstanceInfo
        {
            TaskScheduledId = action.Id,
            Name = parent.Name,
            WorkflowInstance = new WorkflowInstance { InstanceId = parentId, ExecutionId = parent.ExecutionId },
        };
        await CreateInstanceAsync(connection, tx, child.InstanceId, child.Name, child.Version, child.Input, null, parentInfo, ct);
        return e;
    }

    private async Task<HistoryEvent> CreateDetachedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, WorkflowAction action, CancellationToken ct)
    {
        var detached = action.CreateDetachedWorkflow;
        var e = Events.New(action.Id);
        e.DetachedWorkflowInstanceCreated = new DetachedWorkflowInstanceCreatedEvent { InstanceId = detached.InstanceId };
        await CreateInstanceAsync(connection, tx, detached.InstanceId, detached.Name, detached.Version, detached.Input,
            detached.ScheduledStartTimestamp?.ToDateTime(), null, ct);
        return e;
    }

    /// <summary>
    /// A new execution of the same instance: its history starts over from an ExecutionStarted with the new input, the
    /// old execution's outstanding activities and timers are dropped, and the external events the SDK carried over
    /// (and any that arrived since) wait in the inbox for the new execution.
    /// </summary>
    private async Task ContinueAsNewAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, LeasedInstance instance, CompleteWorkflowAction complete, CancellationToken ct)
    {
        var executionId = Guid.NewGuid().ToString("N");
        await ExecuteAsync(connection, tx, "DELETE FROM workflow_history WHERE hub = $1 AND instance_id = $2", ct, hub, id);
        await ExecuteAsync(connection, tx, "DELETE FROM workflow_activities WHERE hub = $1 AND instance_id = $2", ct, hub, id);
        await ExecuteAsync(connection, tx, "DELETE FROM workflow_inbox WHERE hub = $1 AND instance_id = $2 AND kind <> 'EventRaised'", ct, hub, id);
        var version = complete.NewVersion;
        await AddToInboxAsync(connection, tx, id, Events.ExecutionStarted(id, executionId, instance.Name, version, complete.Result), null, ct);
        foreach (var carried in complete.CarryoverEvents) await AddToInboxAsync(connection, tx, id, carried, null, ct);
        await ExecuteAsync(connection, tx,
            "UPDATE workflow_instances SET execution_id = $3, input = $4, output = NULL, failure = NULL WHERE hub = $1 AND instance_id = $2",
            ct, hub, id, executionId, complete.Result);
    }

    /// <summary>Outstanding activities and timers of a finished instance will never be consumed.</summary>
    private async Task DropPendingWorkAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        await ExecuteAsync(connection, tx, "DELETE FROM workflow_activities WHERE hub = $1 AND instance_id = $2", ct, hub, id);
        await ExecuteAsync(connection, tx, "DELETE FROM workflow_inbox WHERE hub = $1 AND instance_id = $2", ct, hub, id);
    }

    private async Task NotifyParentAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string? parentId, int? parentTaskId, OrchestrationStatus status,
        string? output, string? details, byte[]? failure, CancellationToken ct)
    {
        if (parentId is null || parentTaskId is null) return;
        var e = Events.New();
        if (status == OrchestrationStatus.Completed)
        {
            e.ChildWorkflowInstanceCompleted = new ChildWorkflowInstanceCompletedEvent { TaskScheduledId = parentTaskId.Value };
            if (output is not null) e.ChildWorkflowInstanceCompleted.Result = output;
        }
        else
        {
            var details2 = failure is not null
                ? TaskFailureDetails.Parser.ParseFrom(failure)
                : new TaskFailureDetails { ErrorType = status.ToString(), ErrorMessage = details ?? $"The child workflow ended {status}." };
            e.ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent { TaskScheduledId = parentTaskId.Value, FailureDetails = details2 };
        }
        await AddToInboxAsync(connection, tx, parentId, e, null, ct);
    }
}
