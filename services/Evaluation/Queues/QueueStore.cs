using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.DataPlane.Api;
using HoneyHive.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HoneyHive.Evaluation.Queues;

/// <summary>A queue as stored; <see cref="Filters"/> is the spec's filterArray.</summary>
public sealed record StoredQueue(
    Guid Id, Guid ProjectId, string Name, string Description, JsonArray Filters, bool Enabled, IReadOnlyList<Guid> Assignees,
    bool IsActive, DateTime CreatedAt, DateTime? UpdatedAt);

/// <summary>One item of a queue: its event, how it came in and who is to score it (null: nobody yet).</summary>
public sealed record QueueItem(string EventId, long Position, string Source, Guid? Assignee);

/// <summary>One annotator's score of one item for one HUMAN metric.</summary>
public sealed record AnnotationScore(string EventId, string Metric, string Annotator, JsonNode Value, string? Comment, long Revision, DateTime UpdatedAt);

/// <summary>Queues, their items, assignments and scores in dpdb; every statement is scoped by the caller's project.</summary>
public sealed class QueueStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string QueueColumns =
        "id AS Id, project_id AS ProjectId, name AS Name, description AS Description, filters::text AS Filters, enabled AS Enabled, " +
        "assignees AS Assignees, is_active AS IsActive, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public async Task<StoredQueue> CreateAsync(Guid project, QueueInput input, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<QueueRow>(new CommandDefinition(
            $"""
            INSERT INTO annotation_queues (id, project_id, name, description, filters, enabled, assignees)
            VALUES (@id, @project, @name, @description, @filters::jsonb, @enabled, @assignees)
            RETURNING {QueueColumns}
            """,
            new
            {
                id = Guid.CreateVersion7(), project, name = input.Name, description = input.Description ?? "",
                filters = (input.Filters ?? []).ToJsonString(), enabled = input.Enabled ?? true, assignees = (input.Assignees ?? []).ToArray(),
            }, transaction, cancellationToken: cancellationToken));
        await AddItemsAsync(connection, transaction, project, row.Id, input.AddEventIds, QueueSources.EventIds, "event_ids", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row.ToQueue();
    }

    /// <summary>The project's active queues, oldest first, optionally only those <paramref name="enabled"/> (or not).</summary>
    public async Task<IReadOnlyList<StoredQueue>> ListAsync(Guid project, bool? enabled, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<QueueRow>(new CommandDefinition(
            $"""
            SELECT {QueueColumns} FROM annotation_queues
            WHERE project_id = @project AND is_active AND (@enabled::boolean IS NULL OR enabled = @enabled)
            ORDER BY created_at, id LIMIT @limit
            """,
            new { project, enabled, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToQueue())];
    }

    /// <summary>An active queue of the project; null for another project's, a deleted or an unknown one.</summary>
    public async Task<StoredQueue?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<QueueRow>(new CommandDefinition(
            $"SELECT {QueueColumns} FROM annotation_queues WHERE project_id = @project AND id = @id AND is_active",
            new { project, id }, cancellationToken: cancellationToken));
        return row?.ToQueue();
    }

    /// <summary>Applies the fields sent, then adds and removes items; null when the project has no such active queue.</summary>
    public async Task<StoredQueue?> UpdateAsync(Guid project, Guid id, QueueInput input, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<QueueRow>(new CommandDefinition(
            $"""
            UPDATE annotation_queues SET
                name = COALESCE(@name, name),
                description = COALESCE(@description, description),
                filters = COALESCE(@filters::jsonb, filters),
                enabled = COALESCE(@enabled, enabled),
                assignees = COALESCE(@assignees, assignees),
                updated_at = now()
            WHERE project_id = @project AND id = @id AND is_active
            RETURNING {QueueColumns}
            """,
            new
            {
                project, id, name = input.Name, description = input.Description, filters = input.Filters?.ToJsonString(),
                enabled = input.Enabled, assignees = input.Assignees?.ToArray(),
            }, transaction, cancellationToken: cancellationToken));
        if (row is null) return null;
        if (input.RemoveEventIds.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE annotation_queue_items SET removed = true WHERE project_id = @project AND queue_id = @id AND event_id = ANY(@ids)",
                new { project, id, ids = input.RemoveEventIds.ToArray() }, transaction, cancellationToken: cancellationToken));
        }
        await AddItemsAsync(connection, transaction, project, id, input.AddEventIds, QueueSources.EventIds, "add_event_ids", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row.ToQueue();
    }

    /// <summary>Soft delete: the queue stops answering, its items and scores stay. False when there was no such active queue.</summary>
    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE annotation_queues SET is_active = false, updated_at = now() WHERE project_id = @project AND id = @id AND is_active",
            new { project, id }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Adds filter matches found by a read (never above the queue's limit; those past it wait).</summary>
    public async Task AddFilterMatchesAsync(Guid project, Guid id, IReadOnlyList<string> eventIds, CancellationToken cancellationToken)
    {
        if (eventIds.Count == 0) return;
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AddItemsAsync(connection, transaction, project, id, eventIds, QueueSources.Filters, null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Inserts the items not in the queue yet (an explicit add also brings back a removed one) and hands each new one to the
    /// next assignee in turn. The queue row is locked meanwhile, so concurrent adds take distinct turns. <paramref name="field"/>
    /// names the request field when going over <see cref="QueueLimits.MaxItems"/> is the caller's error; null trims instead.
    /// </summary>
    private static async Task AddItemsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid project, Guid id, IReadOnlyList<string> eventIds, string source, string? field,
        CancellationToken cancellationToken)
    {
        if (eventIds.Count == 0) return;
        var queue = await connection.QuerySingleAsync<TurnRow>(new CommandDefinition(
            "SELECT assignees AS Assignees, next_assignee AS NextAssignee FROM annotation_queues WHERE project_id = @project AND id = @id FOR UPDATE",
            new { project, id }, transaction, cancellationToken: cancellationToken));
        var held = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM annotation_queue_items WHERE queue_id = @id AND NOT removed", new { id }, transaction, cancellationToken: cancellationToken));
        var room = QueueLimits.MaxItems - held;
        var ids = eventIds;
        if (ids.Count > room)
        {
            // Ids already in the queue take no room; counted exactly only when it matters.
            var present = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT event_id FROM annotation_queue_items WHERE queue_id = @id AND NOT removed AND event_id = ANY(@ids)",
                new { id, ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
            var fresh = ids.Where(e => !present.Contains(e)).ToList();
            if (fresh.Count > room)
            {
                if (field is not null) throw ApiRequestException.BadRequest(field, $"A queue holds at most {QueueLimits.MaxItems} events; this one has {held}.");
                fresh = fresh.Take((int)Math.Max(room, 0)).ToList();
            }
            ids = fresh;
            if (ids.Count == 0) return;
        }

        var conflict = source == QueueSources.EventIds
            ? "DO UPDATE SET removed = false WHERE annotation_queue_items.removed"
            : "DO NOTHING";
        var added = (await connection.QueryAsync<string>(new CommandDefinition(
            $"""
            INSERT INTO annotation_queue_items (project_id, queue_id, event_id, source)
            SELECT @project, @id, e, @source FROM unnest(@ids) WITH ORDINALITY AS t(e, n) ORDER BY n
            ON CONFLICT (queue_id, event_id) {conflict}
            RETURNING event_id
            """,
            new { project, id, source, ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        if (queue.Assignees.Length == 0 || added.Count == 0) return;

        // In request order (RETURNING does not promise one); an item that already has an assignee keeps it.
        var turn = queue.NextAssignee;
        var pairs = ids.Where(added.Contains).Select(e => (EventId: e, Assignee: queue.Assignees[(int)(turn++ % queue.Assignees.Length)])).ToList();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO annotation_queue_assignments (project_id, queue_id, event_id, assignee)
            SELECT @project, @id, e, a FROM unnest(@events, @assignees) AS t(e, a)
            ON CONFLICT (queue_id, event_id) DO NOTHING
            """,
            new { project, id, events = pairs.Select(p => p.EventId).ToArray(), assignees = pairs.Select(p => p.Assignee).ToArray() },
            transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE annotation_queues SET next_assignee = next_assignee + @n WHERE project_id = @project AND id = @id",
            new { project, id, n = (long)pairs.Count }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Whether the queue holds the event (not removed).</summary>
    public async Task<bool> HoldsAsync(Guid project, Guid id, string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM annotation_queue_items WHERE project_id = @project AND queue_id = @id AND event_id = @eventId AND NOT removed)",
            new { project, id, eventId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A page of the queue's items in queue order after <paramref name="afterPosition"/>: all, or one assignee's, or only
    /// those with (<c>scored</c>) or without (<c>pending</c>) a score.
    /// </summary>
    public async Task<IReadOnlyList<QueueItem>> ItemsAsync(
        Guid project, Guid id, Guid? assignee, string? status, long afterPosition, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(
            """
            SELECT i.event_id AS EventId, i.position AS Position, i.source AS Source, a.assignee AS Assignee
            FROM annotation_queue_items i
            LEFT JOIN annotation_queue_assignments a ON a.queue_id = i.queue_id AND a.event_id = i.event_id
            WHERE i.project_id = @project AND i.queue_id = @id AND NOT i.removed AND i.position > @afterPosition
              AND (@assignee::uuid IS NULL OR a.assignee = @assignee)
              AND (@status::text IS NULL
                   OR (@status = 'scored') = EXISTS (SELECT 1 FROM annotation_scores s WHERE s.queue_id = i.queue_id AND s.event_id = i.event_id))
            ORDER BY i.position LIMIT @limit
            """,
            new { project, id, assignee, status, afterPosition, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new QueueItem(r.EventId, r.Position, r.Source, r.Assignee))];
    }

    /// <summary>Every score given in the queue, for the items named (all items when null), optionally for one metric.</summary>
    public async Task<IReadOnlyList<AnnotationScore>> ScoresAsync(
        Guid project, Guid id, IReadOnlyCollection<string>? eventIds, string? metric, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ScoreRow>(new CommandDefinition(
            """
            SELECT s.event_id AS EventId, s.metric_name AS Metric, s.annotator AS Annotator, s.value::text AS Value, s.comment AS Comment,
                   s.revision AS Revision, s.updated_at AS UpdatedAt
            FROM annotation_scores s JOIN annotation_queue_items i ON i.queue_id = s.queue_id AND i.event_id = s.event_id
            WHERE s.project_id = @project AND s.queue_id = @id AND NOT i.removed
              AND (@events::text[] IS NULL OR s.event_id = ANY(@events)) AND (@metric::text IS NULL OR s.metric_name = @metric)
            ORDER BY s.event_id, s.metric_name, s.revision
            LIMIT @limit
            """,
            new { project, id, events = eventIds?.ToArray(), metric, limit = QueueLimits.MaxScoresRead }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToScore())];
    }

    /// <summary>Every annotator's score of one event for one metric in the project, whichever queue it was given in.</summary>
    public async Task<IReadOnlyList<AnnotationScore>> EventScoresAsync(Guid project, string eventId, string metric, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ScoreRow>(new CommandDefinition(
            """
            SELECT event_id AS EventId, metric_name AS Metric, annotator AS Annotator, value::text AS Value, comment AS Comment,
                   revision AS Revision, updated_at AS UpdatedAt
            FROM annotation_scores WHERE project_id = @project AND event_id = @eventId AND metric_name = @metric
            ORDER BY revision LIMIT @limit
            """,
            new { project, eventId, metric, limit = QueueLimits.MaxScoresRead }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToScore())];
    }

    /// <summary>
    /// Stores (or replaces) the annotator's score and, when the item has no assignee yet and the annotator is a member,
    /// makes them its assignee. Returns the stored score.
    /// </summary>
    public async Task<AnnotationScore> SaveScoreAsync(
        Guid project, Guid id, string eventId, string metric, string annotator, Guid? member, JsonNode value, string? comment, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<ScoreRow>(new CommandDefinition(
            """
            INSERT INTO annotation_scores (project_id, queue_id, event_id, metric_name, annotator, value, comment)
            VALUES (@project, @id, @eventId, @metric, @annotator, @value::jsonb, @comment)
            ON CONFLICT (queue_id, event_id, metric_name, annotator) DO UPDATE SET
                value = EXCLUDED.value, comment = EXCLUDED.comment, updated_at = now(),
                revision = DEFAULT
            RETURNING event_id AS EventId, metric_name AS Metric, annotator AS Annotator, value::text AS Value, comment AS Comment,
                      revision AS Revision, updated_at AS UpdatedAt
            """,
            new { project, id, eventId, metric, annotator, value = value.ToJsonString(), comment }, transaction, cancellationToken: cancellationToken));
        if (member is { } user)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO annotation_queue_assignments (project_id, queue_id, event_id, assignee) VALUES (@project, @id, @eventId, @user)
                ON CONFLICT (queue_id, event_id) DO NOTHING
                """,
                new { project, id, eventId, user }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return row.ToScore();
    }

    /// <summary>How many items the queue holds, how many have a score, per assignee (null: unassigned).</summary>
    public async Task<(long Total, long Scored, IReadOnlyList<(Guid? Assignee, long Total, long Scored)> ByAssignee)> ProgressAsync(
        Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ProgressRow>(new CommandDefinition(
            """
            SELECT a.assignee AS Assignee, count(*) AS Total,
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM annotation_scores s WHERE s.queue_id = i.queue_id AND s.event_id = i.event_id)) AS Scored
            FROM annotation_queue_items i
            LEFT JOIN annotation_queue_assignments a ON a.queue_id = i.queue_id AND a.event_id = i.event_id
            WHERE i.project_id = @project AND i.queue_id = @id AND NOT i.removed
            GROUP BY a.assignee ORDER BY a.assignee NULLS LAST
            """,
            new { project, id }, cancellationToken: cancellationToken))).ToList();
        return (rows.Sum(r => r.Total), rows.Sum(r => r.Scored), [.. rows.Select(r => (r.Assignee, r.Total, r.Scored))]);
    }

    /// <summary>Per metric: how many items have at least one score and how many scores were given.</summary>
    public async Task<IReadOnlyList<(string Metric, long Items, long Scores)>> MetricProgressAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<MetricProgressRow>(new CommandDefinition(
            """
            SELECT s.metric_name AS Metric, count(DISTINCT s.event_id) AS Items, count(*) AS Scores
            FROM annotation_scores s JOIN annotation_queue_items i ON i.queue_id = s.queue_id AND i.event_id = s.event_id
            WHERE s.project_id = @project AND s.queue_id = @id AND NOT i.removed
            GROUP BY s.metric_name ORDER BY s.metric_name LIMIT 1000
            """,
            new { project, id }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.Metric, r.Items, r.Scores))];
    }

    private sealed class QueueRow
    {
        public Guid Id { get; set; }
        public Guid ProjectId { get; set; }
        public string Name { get; set; } = "";
        public string Description { get; set; } = "";
        public string Filters { get; set; } = "[]";
        public bool Enabled { get; set; }
        public Guid[] Assignees { get; set; } = [];
        public bool IsActive { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime? UpdatedAt { get; set; }

        public StoredQueue ToQueue() => new(Id, ProjectId, Name, Description, JsonNode.Parse(Filters)!.AsArray(), Enabled, Assignees, IsActive, CreatedAt, UpdatedAt);
    }

    private sealed class TurnRow
    {
        public Guid[] Assignees { get; set; } = [];
        public long NextAssignee { get; set; }
    }

    private sealed class ItemRow
    {
        public string EventId { get; set; } = "";
        public long Position { get; set; }
        public string Source { get; set; } = "";
        public Guid? Assignee { get; set; }
    }

    private sealed class ScoreRow
    {
        public string EventId { get; set; } = "";
        public string Metric { get; set; } = "";
        public string Annotator { get; set; } = "";
        public string Value { get; set; } = "null";
        public string? Comment { get; set; }
        public long Revision { get; set; }
        public DateTime UpdatedAt { get; set; }

        public AnnotationScore ToScore() => new(EventId, Metric, Annotator, JsonNode.Parse(Value)!, Comment, Revision, UpdatedAt);
    }

    private sealed class ProgressRow
    {
        public Guid? Assignee { get; set; }
        public long Total { get; set; }
        public long Scored { get; set; }
    }

    private sealed class MetricProgressRow
    {
        public string Metric { get; set; } = "";
        public long Items { get; set; }
        public long Scores { get; set; }
    }
}

/// <summary>How an item came into its queue.</summary>
public static class QueueSources
{
    public const string EventIds = "event_ids";
    public const string Filters = "filters";
}

/// <summary>The bounds of a queue.</summary>
public static class QueueLimits
{
    /// <summary>Events one queue holds (named and found by filters together).</summary>
    public const int MaxItems = 10_000;

    /// <summary>Scores one read brings back (progress and agreement read a queue's scores of one metric).</summary>
    public const int MaxScoresRead = 100_000;

    /// <summary>A page of items.</summary>
    public const int MaxPage = 200;

    public const int MaxComment = 10_000;
    public const int MaxStringValue = 10_000;
}
