using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Npgsql;

namespace HoneyHive.WorkflowBackend;

/// <summary>The client's side: start, read, message, terminate, suspend, resume, purge, list.</summary>
internal sealed partial class WorkflowStore
{
    public enum StartOutcome { Started, AlreadyRunning }

    /// <summary>
    /// Creates the instance with its ExecutionStarted in the inbox (invisible until a scheduled start). An id whose
    /// previous instance has finished is reused, as daprd does; a running one is refused.
    /// </summary>
    public async Task<StartOutcome> StartAsync(CreateInstanceRequest request, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var existing = await StatusForUpdateAsync(connection, tx, request.InstanceId, ct);
        if (existing is { } status)
        {
            if (!IsTerminal(status)) return StartOutcome.AlreadyRunning;
            await DeleteInstanceAsync(connection, tx, request.InstanceId, ct);
        }
        await CreateInstanceAsync(connection, tx, request.InstanceId, request.Name, request.Version, request.Input,
            request.ScheduledStartTimestamp?.ToDateTime(), null, ct);
        await tx.CommitAsync(ct);
        return StartOutcome.Started;
    }

    private async Task CreateInstanceAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, string name, string? version, string? input,
        DateTime? startAt, ParentInstanceInfo? parent, CancellationToken ct)
    {
        var executionId = Guid.NewGuid().ToString("N");
        var inserted = await ExecuteAsync(connection, tx,
            """
            INSERT INTO workflow_instances (hub, instance_id, name, execution_id, status, input, parent_instance_id, parent_task_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
            """, ct, hub, id, name, executionId, (int)OrchestrationStatus.Pending, input, parent?.WorkflowInstance?.InstanceId,
            parent is null ? null : parent.TaskScheduledId);
        // A child whose id is taken (a parent turn redone after its commit cannot happen; a caller's reused id can) keeps the first.
        if (inserted == 0) return;
        var started = Events.ExecutionStarted(id, executionId, name, version, input, parent,
            startAt.HasValue ? Timestamp.FromDateTime(startAt.Value) : null);
        await AddToInboxAsync(connection, tx, id, started, startAt, ct);
    }

    public async Task<WorkflowState?> GetAsync(string id, bool withPayloads, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT name, status, input, output, custom_status, failure, execution_id, parent_instance_id, created_at, updated_at, completed_at
            FROM workflow_instances WHERE hub = $1 AND instance_id = $2
            """);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var state = new WorkflowState
        {
            InstanceId = id,
            Name = reader.GetString(0),
            WorkflowStatus = (OrchestrationStatus)reader.GetInt32(1),
            ExecutionId = reader.GetString(6),
            CreatedTimestamp = ToTimestamp(reader.GetValue(8)),
            LastUpdatedTimestamp = ToTimestamp(reader.GetValue(9)),
        };
        if (withPayloads && !reader.IsDBNull(2)) state.Input = reader.GetString(2);
        if (withPayloads && !reader.IsDBNull(3)) state.Output = reader.GetString(3);
        if (!reader.IsDBNull(4)) state.CustomStatus = reader.GetString(4);
        if (!reader.IsDBNull(5)) state.FailureDetails = TaskFailureDetails.Parser.ParseFrom(reader.GetFieldValue<byte[]>(5));
        if (!reader.IsDBNull(7)) state.ParentInstanceId = reader.GetString(7);
        if (!reader.IsDBNull(10)) state.CompletedTimestamp = ToTimestamp(reader.GetValue(10));
        return state;
    }

    /// <summary>False when there is no such instance. An event for a finished instance is dropped, as daprd drops it.</summary>
    public async Task<bool> RaiseEventAsync(string id, string name, string? input, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await RaiseAsync(connection, tx, id, name, input, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    private async Task<bool> RaiseAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, string name, string? input, CancellationToken ct)
    {
        if (await StatusForUpdateAsync(connection, tx, id, ct) is not { } status) return false;
        if (!IsTerminal(status)) await AddToInboxAsync(connection, tx, id, Events.EventRaised(name, input), null, ct);
        return true;
    }

    public async Task<bool> TerminateAsync(string id, string? output, bool recursive, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await TerminateAsync(connection, tx, id, output, recursive, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>
    /// Terminates here, without a worker turn: the instance may be suspended or its worker gone. Its lease is cleared, so
    /// the result of a turn already running is dropped; the parent hears of it as a failed child.
    /// </summary>
    private async Task<bool> TerminateAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, string? output, bool recursive, CancellationToken ct)
    {
        if (await StatusForUpdateAsync(connection, tx, id, ct) is not { } status) return false;
        if (IsTerminal(status)) return true;
        var terminated = Events.New();
        terminated.ExecutionTerminated = new ExecutionTerminatedEvent { Recurse = recursive };
        if (output is not null) terminated.ExecutionTerminated.Input = output;
        await AppendHistoryAsync(connection, tx, id, [terminated, Events.ExecutionCompleted(Events.NoId, OrchestrationStatus.Terminated, output, null)], ct);
        await DropPendingWorkAsync(connection, tx, id, ct);
        string? parentId = null;
        int? parentTaskId = null;
        await using (var update = new NpgsqlCommand(
            """
            UPDATE workflow_instances SET status = $3, output = $4, updated_at = now(), completed_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires = NULL
            WHERE hub = $1 AND instance_id = $2 RETURNING parent_instance_id, parent_task_id
            """, connection, tx))
        {
            update.Parameters.AddWithValue(hub);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue((int)OrchestrationStatus.Terminated);
            update.Parameters.Add(Parameter(output));
            await using var reader = await update.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                parentId = reader.IsDBNull(0) ? null : reader.GetString(0);
                parentTaskId = reader.IsDBNull(1) ? null : reader.GetInt32(1);
            }
        }
        await NotifyParentAsync(connection, tx, parentId, parentTaskId, OrchestrationStatus.Terminated, output, "The child workflow was terminated.", null, ct);
        if (recursive)
        {
            foreach (var child in await ChildrenAsync(connection, tx, id, ct)) await TerminateAsync(connection, tx, child, output, true, ct);
        }
        return true;
    }

    /// <summary>A suspended instance gets no turns (events still queue) until it is resumed.</summary>
    public Task<bool> SuspendAsync(string id, string? reason, CancellationToken ct) =>
        SetSuspendedAsync(id, reason, suspend: true, ct);

    public Task<bool> ResumeAsync(string id, string? reason, CancellationToken ct) =>
        SetSuspendedAsync(id, reason, suspend: false, ct);

    private async Task<bool> SetSuspendedAsync(string id, string? reason, bool suspend, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await StatusForUpdateAsync(connection, tx, id, ct) is not { } status) return false;
        var applies = suspend ? status is OrchestrationStatus.Running or OrchestrationStatus.Pending : status == OrchestrationStatus.Suspended;
        if (applies)
        {
            var e = Events.New();
            if (suspend)
            {
                e.ExecutionSuspended = new ExecutionSuspendedEvent();
                if (reason is not null) e.ExecutionSuspended.Input = reason;
            }
            else
            {
                e.ExecutionResumed = new ExecutionResumedEvent();
                if (reason is not null) e.ExecutionResumed.Input = reason;
            }
            await AppendHistoryAsync(connection, tx, id, [e], ct);
            // Resumed before its first turn, it is pending again; otherwise running.
            var resumed = await HasHistoryOtherThanSuspensionAsync(connection, tx, id, ct) ? OrchestrationStatus.Running : OrchestrationStatus.Pending;
            await ExecuteAsync(connection, tx, "UPDATE workflow_instances SET status = $3, updated_at = now() WHERE hub = $1 AND instance_id = $2", ct,
                hub, id, (int)(suspend ? OrchestrationStatus.Suspended : resumed));
        }
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task<bool> HasHistoryOtherThanSuspensionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        var events = await ReadEventsAsync(connection, tx, "SELECT event FROM workflow_history WHERE hub = $1 AND instance_id = $2 ORDER BY seq LIMIT 50", ct, hub, id);
        return events.Any(e => e.ExecutionSuspended is null && e.ExecutionResumed is null);
    }

    /// <summary>Deletes finished instances (any instance with force) and, when recursive, their children.</summary>
    public async Task<int> PurgeAsync(PurgeInstancesRequest request, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = new List<string>();
        if (request.RequestCase == PurgeInstancesRequest.RequestOneofCase.InstanceId)
        {
            ids.Add(request.InstanceId);
        }
        else if (request.PurgeInstanceFilter is { } filter)
        {
            await using var select = new NpgsqlCommand(
                """
                SELECT instance_id FROM workflow_instances WHERE hub = $1 AND created_at >= COALESCE($2, '-infinity') AND created_at < COALESCE($3, 'infinity')
                  AND (cardinality($4::int[]) = 0 OR status = ANY($4)) ORDER BY instance_id LIMIT 10000
                """, connection, tx);
            select.Parameters.AddWithValue(hub);
            select.Parameters.Add(new NpgsqlParameter { Value = filter.CreatedTimeFrom?.ToDateTime() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            select.Parameters.Add(new NpgsqlParameter { Value = filter.CreatedTimeTo?.ToDateTime() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            select.Parameters.AddWithValue(filter.RuntimeStatus.Select(s => (int)s).ToArray());
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        }

        var deleted = 0;
        var force = request.HasForce && request.Force;
        foreach (var id in ids) deleted += await PurgeOneAsync(connection, tx, id, request.Recursive, force, ct);
        await tx.CommitAsync(ct);
        return deleted;
    }

    private async Task<int> PurgeOneAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, bool recursive, bool force, CancellationToken ct)
    {
        if (await StatusForUpdateAsync(connection, tx, id, ct) is not { } status) return 0;
        if (!force && !IsTerminal(status)) return 0;
        var deleted = 0;
        if (recursive)
        {
            foreach (var child in await ChildrenAsync(connection, tx, id, ct)) deleted += await PurgeOneAsync(connection, tx, child, true, force, ct);
        }
        await DeleteInstanceAsync(connection, tx, id, ct);
        return deleted + 1;
    }

    private async Task DeleteInstanceAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        foreach (var table in new[] { "workflow_history", "workflow_inbox", "workflow_activities", "workflow_instances" })
        {
            await ExecuteAsync(connection, tx, $"DELETE FROM {table} WHERE hub = $1 AND instance_id = $2", ct, hub, id);
        }
    }

    /// <summary>A page of instance ids in id order; the token is the last id of the previous page.</summary>
    public async Task<(List<string> Ids, string? Next)> ListIdsAsync(string? after, int pageSize, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT instance_id FROM workflow_instances WHERE hub = $1 AND instance_id > $2 ORDER BY instance_id LIMIT $3");
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(after ?? "");
        command.Parameters.AddWithValue(pageSize + 1);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        if (ids.Count <= pageSize) return (ids, null);
        ids.RemoveAt(ids.Count - 1);
        return (ids, ids[^1]);
    }

    public async Task<List<HistoryEvent>?> HistoryAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM workflow_instances WHERE hub = $1 AND instance_id = $2", connection);
        exists.Parameters.AddWithValue(hub);
        exists.Parameters.AddWithValue(id);
        if (await exists.ExecuteScalarAsync(ct) is null) return null;
        return await ReadEventsAsync(connection, null, "SELECT event FROM workflow_history WHERE hub = $1 AND instance_id = $2 ORDER BY seq", ct, hub, id);
    }

    private async Task<OrchestrationStatus?> StatusForUpdateAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT status FROM workflow_instances WHERE hub = $1 AND instance_id = $2 FOR UPDATE", connection, tx);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(id);
        return await command.ExecuteScalarAsync(ct) is int status ? (OrchestrationStatus)status : null;
    }

    private async Task<List<string>> ChildrenAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT instance_id FROM workflow_instances WHERE hub = $1 AND parent_instance_id = $2", connection, tx);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(id);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }
}
