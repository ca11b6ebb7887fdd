using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Writer.Storage;

/// <summary>Per-session children aggregates, over the latest revision of each non-session event.</summary>
public sealed record SessionAggregate(
    string SessionId,
    long NumEvents,
    long NumModelEvents,
    bool HasFeedback,
    double PromptTokens,
    double CompletionTokens,
    double TotalTokens,
    double Cost,
    double StartMs,
    double EndMs,
    Dictionary<string, string> FinalOutputs,
    string? LastError,
    List<string> TopLevelChildren);

/// <summary>What <see cref="EventStore.StoredStateAsync"/> read: see there.</summary>
public sealed class StoredState
{
    /// <summary>Highest stored version of each batch event (absent when never stored).</summary>
    public Dictionary<string, ulong> EventVersions { get; } = new(StringComparer.Ordinal);

    /// <summary>Highest version of the session rows of each session (client rows, roll-ups or auto-created, deleted too).</summary>
    public Dictionary<string, ulong> SessionVersions { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The latest session row of each session, the base the next roll-up is computed on: a client revision,
    /// or the roll-up built on one. Not only client rows: ReplacingMergeTree keeps just the newest version
    /// of a key (already within one insert, and in every merge), so a client row under its roll-up is gone.
    /// Every derived field is recomputed from the children, so a roll-up is as good a base as its client row.
    /// </summary>
    public Dictionary<string, EventRow> SessionBases { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The Writer's reads and writes on <c>events</c>. Every read takes the latest revision of an event
/// with <c>ORDER BY version DESC LIMIT 1 BY event_id</c> inside one project and a few sessions (the
/// sorting key's prefix), never FINAL: it is exact before merges and touches only those granules.
/// Query APIs read the same way (or argMax(..., version)).
/// </summary>
public sealed class EventStore(IAnalyticsStore store)
{
    public const string Table = "events";

    /// <summary>
    /// Rows into <c>events</c>, then their fields into <paramref name="schemas"/> (flushed once per batch by
    /// <see cref="InsertSchemasAsync"/>). JSONEachRow, leaving out 0006's typed columns for ClickHouse to compute.
    /// `./hh bench limits chdb` races it against RowBinaryWithNamesAndTypes naming the same columns (so the typed
    /// ones are computed alike) into a copy of <c>events</c> and into <c>events</c> with its views. 2026-12-06, on
    /// the shared 2-core machine at load ~19: copy 15,313 (JSON) against 20,157 rows/s (binary); <c>events</c> with
    /// views 16,657 against 16,209 rows/s. Into the Writer's own table neither format wins beyond the noise, so the
    /// Writer keeps JSONEachRow (binary rows also go through a spool file whenever they hold an empty line).
    /// </summary>
    public async Task InsertAsync(IReadOnlyCollection<EventRow> rows, EventSchemaBatch schemas, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await store.InsertJsonEachRowAsync(Table, RowJson.ToJsonEachRow(rows), cancellationToken);
        schemas.Add(rows);
    }

    /// <summary>The batch's <c>event_schemas</c> rows in one INSERT; cleared once stored.</summary>
    public async Task InsertSchemasAsync(EventSchemaBatch schemas, CancellationToken cancellationToken)
    {
        if (schemas.Count == 0) return;
        await store.InsertJsonEachRowAsync("event_schemas", schemas.ToJsonEachRow(), cancellationToken);
        schemas.Clear();
    }

    /// <summary>
    /// What a batch needs to know before it writes: the highest stored version of each of its events, and per
    /// session the highest version of its session rows and the base of its next roll-up. Two steps, the second
    /// often skipped: first which of the batch's sessions have any stored row (the sorting key's prefix, one
    /// narrow column); then the latest revision of every session row and of every batch event, inside those
    /// sessions only. An event is stored under its session (<c>session_id</c> is in the sorting key, and the
    /// lookup has always searched an event in its own session), so an event of a session with no stored row
    /// has no stored revision, and that session no session row: a batch of new sessions, ingestion's common
    /// case, makes one narrow read instead of matching thousands of ids.
    /// </summary>
    public async Task<StoredState> StoredStateAsync(
        string projectId, IReadOnlyCollection<string> sessionIds, IReadOnlyCollection<EventRow> events, CancellationToken cancellationToken)
    {
        var state = new StoredState();
        if (sessionIds.Count == 0) return state;
        var known = await store.QueryAsync(
            "SELECT DISTINCT session_id FROM events WHERE project_id = {project:String} AND session_id IN {sessions:Array(String)}",
            new Dictionary<string, object?> { ["project"] = projectId, ["sessions"] = sessionIds.ToArray() },
            cancellationToken);
        if (known.Count == 0) return state;
        var storedSessions = known.Select(r => r.GetProperty("session_id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var requested = events.Where(e => storedSessions.Contains(e.SessionId)).Select(e => e.EventId).ToHashSet(StringComparer.Ordinal);
        var rows = await store.QueryAsync(
            """
            SELECT * EXCEPT (inserted_at) FROM events
            WHERE project_id = {project:String} AND session_id IN {sessions:Array(String)}
              AND (event_type = 'session' OR event_id IN {ids:Array(String)})
            ORDER BY version DESC LIMIT 1 BY event_id
            """,
            new Dictionary<string, object?> { ["project"] = projectId, ["sessions"] = storedSessions.ToArray(), ["ids"] = requested.ToArray() },
            cancellationToken);
        // Rows come highest version first, so the first session row of a session is its latest.
        var latestSession = new Dictionary<string, EventRow>(StringComparer.Ordinal);
        foreach (var element in rows)
        {
            var row = RowJson.Read(element);
            if (requested.Contains(row.EventId)) state.EventVersions[row.EventId] = row.Version;
            if (!row.IsSession || !latestSession.TryAdd(row.SessionId, row)) continue;
            state.SessionVersions[row.SessionId] = row.Version;
            // The base is the latest client revision or a roll-up built on one (version >= 2^32); an
            // auto-created row (below it) has no client revision under it, and a deleted session has no base.
            if (row.Version >= EventRow.ClientVersionUnit && row.IsDeleted == 0) state.SessionBases[row.SessionId] = row;
        }

        return state;
    }

    /// <summary>
    /// The row an update builds on, per event id: its latest revision (for a session, possibly its roll-up,
    /// whose derived fields the next roll-up recomputes). Deleted events are absent. The id's bloom-filter
    /// index keeps the lookup off the project's other granules (the session is not known).
    /// </summary>
    public async Task<Dictionary<string, EventRow>> LatestRowsAsync(string projectId, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, EventRow>(StringComparer.Ordinal);
        if (eventIds.Count == 0) return result;
        var rows = await store.QueryAsync(
            """
            SELECT * EXCEPT (inserted_at) FROM events
            WHERE project_id = {project:String} AND event_id IN {ids:Array(String)}
            ORDER BY version DESC LIMIT 1 BY event_id
            """,
            new Dictionary<string, object?> { ["project"] = projectId, ["ids"] = eventIds.ToArray() },
            cancellationToken);
        foreach (var element in rows)
        {
            var row = RowJson.Read(element);
            if (row.IsDeleted == 0) result[row.EventId] = row;
        }

        return result;
    }

    /// <summary>Latest revisions of a session's non-session events that lack any of the given metadata keys or a source.</summary>
    public async Task<List<EventRow>> ChildrenMissingAsync(string projectId, string sessionId, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var rows = await store.QueryAsync(
            """
            SELECT * EXCEPT (inserted_at) FROM
            (
                SELECT * FROM events
                WHERE project_id = {project:String} AND session_id = {session:String} AND event_type != 'session'
                ORDER BY version DESC LIMIT 1 BY event_id
            )
            WHERE is_deleted = 0 AND (source IN ('', 'unknown') OR NOT hasAll(mapKeys(metadata), {keys:Array(String)}))
            """,
            new Dictionary<string, object?> { ["project"] = projectId, ["session"] = sessionId, ["keys"] = keys.ToArray() },
            cancellationToken);
        return rows.Select(RowJson.Read).ToList();
    }

    /// <summary>Roll-up inputs per session, computed in ClickHouse: sums, counts, min and max are order-independent.</summary>
    public async Task<Dictionary<string, SessionAggregate>> AggregatesAsync(string projectId, IReadOnlyCollection<string> sessionIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, SessionAggregate>(StringComparer.Ordinal);
        if (sessionIds.Count == 0) return result;
        var rows = await store.QueryAsync(
            """
            SELECT
                session_id,
                count() AS num_events,
                countIf(event_type = 'model') AS num_model_events,
                max(length(mapKeys(feedback)) > 0) AS has_feedback,
                sumIf(JSONExtractFloat(metadata['prompt_tokens']), event_type = 'model') AS prompt_tokens,
                sumIf(JSONExtractFloat(metadata['completion_tokens']), event_type = 'model') AS completion_tokens,
                sumIf(JSONExtractFloat(metadata['total_tokens']), event_type = 'model') AS total_tokens,
                sum(JSONExtractFloat(metadata['cost'])) AS cost,
                toUnixTimestamp64Micro(min(start_time)) AS start_us,
                toUnixTimestamp64Micro(max(end_time)) AS end_us,
                argMaxIf(outputs, end_time, length(mapKeys(outputs)) > 0) AS final_outputs,
                argMaxIf(error, end_time, ifNull(error, '') != '') AS last_error,
                groupUniqArrayIf(event_id, parent_id IN ('', session_id)) AS top_level
            FROM
            (
                SELECT * FROM events
                WHERE project_id = {project:String} AND session_id IN {sessions:Array(String)} AND event_type != 'session'
                ORDER BY version DESC LIMIT 1 BY session_id, event_id
            )
            WHERE is_deleted = 0
            GROUP BY session_id
            """,
            new Dictionary<string, object?> { ["project"] = projectId, ["sessions"] = sessionIds.ToArray() },
            cancellationToken);
        foreach (var row in rows)
        {
            var error = row.GetProperty("last_error");
            var aggregate = new SessionAggregate(
                row.GetProperty("session_id").GetString()!,
                (long)ReadUInt64(row.GetProperty("num_events")),
                (long)ReadUInt64(row.GetProperty("num_model_events")),
                ReadUInt64(row.GetProperty("has_feedback")) != 0,
                row.GetProperty("prompt_tokens").GetDouble(),
                row.GetProperty("completion_tokens").GetDouble(),
                row.GetProperty("total_tokens").GetDouble(),
                row.GetProperty("cost").GetDouble(),
                ReadUInt64(row.GetProperty("start_us")) / 1000d,
                ReadUInt64(row.GetProperty("end_us")) / 1000d,
                row.GetProperty("final_outputs").Deserialize<Dictionary<string, string>>() ?? [],
                error.ValueKind == JsonValueKind.String && error.GetString() is { Length: > 0 } text ? text : null,
                row.GetProperty("top_level").Deserialize<List<string>>() ?? []);
            result[aggregate.SessionId] = aggregate;
        }

        return result;
    }

    /// <summary>ClickHouse writes 64-bit integers as JSON strings by default; accept both.</summary>
    private static ulong ReadUInt64(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
            ? ulong.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : value.ValueKind == JsonValueKind.True ? 1 : value.ValueKind == JsonValueKind.False ? 0 : value.GetUInt64();
}
