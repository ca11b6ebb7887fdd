using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.WorkflowBackend;

/// <summary>
/// Instances, history, inbox and activities in PostgreSQL. Every change an orchestration turn makes (history appended,
/// inbox consumed, activities and timers scheduled, other instances messaged, completion) commits in one transaction
/// guarded by the turn's lease, so a turn whose lease was lost changes nothing.
/// </summary>
internal sealed partial class WorkflowStore(NpgsqlDataSource dataSource, IOptions<WorkflowBackendOptions> options)
{
    private readonly string hub = options.Value.TaskHub;

    internal static readonly int[] ActiveStatuses = [(int)OrchestrationStatus.Running, (int)OrchestrationStatus.Pending];

    public static bool IsTerminal(OrchestrationStatus status) => status is OrchestrationStatus.Completed or OrchestrationStatus.Failed
        or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled;

    /// <summary>A new process owns nothing yet: every lease a previous process held is released, so its work is redone.</summary>
    public async Task ReleaseAllLeasesAsync(CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command("UPDATE workflow_instances SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL WHERE hub = $1 AND lease_owner IS NOT NULL", hub));
        batch.BatchCommands.Add(Command("UPDATE workflow_activities SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL WHERE hub = $1 AND lease_owner IS NOT NULL", hub));
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Keeps the leases of the work items this process's workers hold; releases leases nobody renews.</summary>
    public async Task RenewLeasesAsync(Guid[] tokens, TimeSpan duration, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var table in new[] { "workflow_instances", "workflow_activities" })
        {
            batch.BatchCommands.Add(Command($"UPDATE {table} SET lease_expires = now() + $3 WHERE hub = $1 AND lease_token = ANY($2)", hub, tokens, duration));
            batch.BatchCommands.Add(Command($"UPDATE {table} SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL WHERE hub = $1 AND lease_owner IS NOT NULL AND lease_expires < now()", hub));
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Gives back work items handed to a worker that went away, so another worker gets them.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<Guid> tokens, CancellationToken ct)
    {
        if (tokens.Count == 0) return;
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command("UPDATE workflow_instances SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL WHERE hub = $1 AND lease_token = ANY($2)", hub, tokens.ToArray()));
        batch.BatchCommands.Add(Command("UPDATE workflow_activities SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL WHERE hub = $1 AND lease_token = ANY($2)", hub, tokens.ToArray()));
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>When the earliest invisible inbox event (a timer) becomes due, if any.</summary>
    public async Task<DateTime?> NextDueAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT min(visible_at) FROM workflow_inbox WHERE hub = $1 AND visible_at > now()");
        command.Parameters.AddWithValue(hub);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DateTime due ? due : null;
    }

    /// <summary>Leases up to <paramref name="limit"/> instances with due inbox events and builds their turns.</summary>
    public async Task<List<(WorkflowRequest Request, Guid Token)>> LeaseOrchestrationsAsync(Guid owner, int limit, TimeSpan duration, int maxEvents, CancellationToken ct)
    {
        var turns = new List<(WorkflowRequest, Guid)>();
        if (limit <= 0) return turns;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var leased = new List<(string Id, string ExecutionId, Guid Token)>();
        await using (var lease = new NpgsqlCommand(
            """
            UPDATE workflow_instances i SET lease_owner = $2, lease_token = gen_random_uuid(), lease_expires = now() + $3
            WHERE (i.hub, i.instance_id) IN (
                SELECT c.hub, c.instance_id FROM workflow_instances c
                WHERE c.hub = $1 AND c.lease_owner IS NULL AND c.status = ANY($5)
                  AND c.instance_id IN (SELECT b.instance_id FROM workflow_inbox b WHERE b.hub = $1 AND b.visible_at <= now())
                ORDER BY c.updated_at LIMIT $4 FOR UPDATE SKIP LOCKED)
            RETURNING i.instance_id, i.execution_id, i.lease_token
            """, connection, tx))
        {
            lease.Parameters.AddWithValue(hub);
            lease.Parameters.AddWithValue(owner);
            lease.Parameters.AddWithValue(duration);
            lease.Parameters.AddWithValue(limit);
            lease.Parameters.AddWithValue(ActiveStatuses);
            await using var reader = await lease.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) leased.Add((reader.GetString(0), reader.GetString(1), reader.GetGuid(2)));
        }

        foreach (var (id, executionId, token) in leased)
        {
            var request = new WorkflowRequest { InstanceId = id, ExecutionId = executionId };
            // The turn's clock: a WorkflowStarted of its own, kept in the inbox so a redone turn replaces it.
            await ExecuteAsync(connection, tx, "DELETE FROM workflow_inbox WHERE hub = $1 AND instance_id = $2 AND kind = 'WorkflowStarted'", ct, hub, id);
            await ExecuteAsync(connection, tx, "INSERT INTO workflow_inbox (hub, instance_id, kind, event, turn_token) VALUES ($1, $2, 'WorkflowStarted', $3, $4)", ct,
                hub, id, Events.Bytes(Events.WorkflowStarted()), token);
            await ExecuteAsync(connection, tx,
                """
                UPDATE workflow_inbox SET turn_token = $3 WHERE id IN (
                    SELECT id FROM workflow_inbox WHERE hub = $1 AND instance_id = $2 AND visible_at <= now() AND kind <> 'WorkflowStarted' ORDER BY id LIMIT $4)
                """, ct, hub, id, token, maxEvents);
            request.PastEvents.AddRange(await ReadEventsAsync(connection, tx,
                "SELECT event FROM workflow_history WHERE hub = $1 AND instance_id = $2 ORDER BY seq", ct, hub, id));
            request.NewEvents.AddRange(await ReadEventsAsync(connection, tx,
                "SELECT event FROM workflow_inbox WHERE hub = $1 AND instance_id = $2 AND turn_token = $3 ORDER BY kind <> 'WorkflowStarted', id", ct, hub, id, token));
            turns.Add((request, token));
        }

        await tx.CommitAsync(ct);
        return turns;
    }

    /// <summary>Leases up to <paramref name="limit"/> scheduled activity calls.</summary>
    public async Task<List<(ActivityRequest Request, Guid Token)>> LeaseActivitiesAsync(Guid owner, int limit, TimeSpan duration, CancellationToken ct)
    {
        var calls = new List<(ActivityRequest, Guid)>();
        if (limit <= 0) return calls;
        await using var command = dataSource.CreateCommand(
            """
            UPDATE workflow_activities a SET lease_owner = $2, lease_token = gen_random_uuid(), lease_expires = now() + $3
            WHERE a.id IN (SELECT id FROM workflow_activities WHERE hub = $1 AND lease_owner IS NULL ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
            RETURNING a.request, a.lease_token
            """);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(owner);
        command.Parameters.AddWithValue(duration);
        command.Parameters.AddWithValue(limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) calls.Add((ActivityRequest.Parser.ParseFrom(reader.GetFieldValue<byte[]>(0)), reader.GetGuid(1)));
        return calls;
    }

    /// <summary>
    /// An activity's result becomes TaskCompleted or TaskFailed in its instance's inbox, once: the row is deleted by the
    /// token that leased it, so a result for a lease that was lost (and redone) is dropped.
    /// </summary>
    public async Task<bool> CompleteActivityAsync(Guid token, ActivityResponse response, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string instanceId;
        ActivityRequest request;
        await using (var delete = new NpgsqlCommand("DELETE FROM workflow_activities WHERE hub = $1 AND lease_token = $2 RETURNING instance_id, request", connection, tx))
        {
            delete.Parameters.AddWithValue(hub);
            delete.Parameters.AddWithValue(token);
            await using var reader = await delete.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return false;
            instanceId = reader.GetString(0);
            request = ActivityRequest.Parser.ParseFrom(reader.GetFieldValue<byte[]>(1));
        }

        var e = Events.New();
        if (response.FailureDetails is { } failure)
        {
            e.TaskFailed = new TaskFailedEvent { TaskScheduledId = request.TaskId, FailureDetails = failure, TaskExecutionId = request.TaskExecutionId };
        }
        else
        {
            e.TaskCompleted = new TaskCompletedEvent { TaskScheduledId = request.TaskId, TaskExecutionId = request.TaskExecutionId };
            if (response.Result is not null) e.TaskCompleted.Result = response.Result;
        }
        await AddToInboxAsync(connection, tx, instanceId, e, null, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task AddToInboxAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string instanceId, HistoryEvent e, DateTime? visibleAt, CancellationToken ct)
    {
        await ExecuteAsync(connection, tx, "INSERT INTO workflow_inbox (hub, instance_id, kind, event, visible_at) VALUES ($1, $2, $3, $4, COALESCE($5, now()))", ct,
            hub, instanceId, Events.Kind(e), Events.Bytes(e), visibleAt.HasValue ? visibleAt.Value : DBNull.Value);
    }

    private NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(Parameter(value));
        return command;
    }

    private static NpgsqlParameter Parameter(object? value) => new() { Value = value ?? DBNull.Value };

    internal static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var value in values) command.Parameters.Add(Parameter(value));
        return await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<List<HistoryEvent>> ReadEventsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var value in values) command.Parameters.Add(Parameter(value));
        var events = new List<HistoryEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) events.Add(HistoryEvent.Parser.ParseFrom(reader.GetFieldValue<byte[]>(0)));
        return events;
    }

    private static Timestamp? ToTimestamp(object value) => value is DateTime d ? Timestamp.FromDateTime(DateTime.SpecifyKind(d, DateTimeKind.Utc)) : null;
}
