namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Conditions on columns a revision never changes (the writer keeps session_id and start_time
/// of an event across revisions, see 0001_events.sql), so they may narrow the rows before the
/// current revision is picked.
/// </summary>
public sealed record EventScope
{
    public string? EventId { get; init; }
    public IReadOnlyCollection<string>? EventIds { get; init; }
    public string? SessionId { get; init; }
    public IReadOnlyCollection<string>? SessionIds { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
}

/// <summary>
/// The current revision of each event in <c>events</c>: three strategies, chosen by the scope and the read. A
/// project-wide read whose filters name only the columns of <c>events_by_time</c> reads that time-ordered copy
/// instead (<see cref="TimeOrderedEvents"/>: search candidates, totals, exact counts); what follows is the rest.
/// <para>
/// Scope names sessions or events (a trace tree, one event, a page's aggregates): a semi-join on
/// <c>(event_id, max(version))</c> whose inner query groups only the two narrow key columns of the
/// rows the primary key (project_id, session_id, event_id) finds, so deduplication never reads the
/// wide Map buckets; the outer query reads wide columns only for rows that are current, then drops
/// tombstones and applies the user filters. Order matters: picking the newest revision first and only
/// then testing <c>is_deleted = 0</c> and the filters means neither a deleted event nor a stale
/// revision that happened to match a filter comes back. Callers listing rows add
/// <see cref="OnePerEvent"/> against a revision inserted twice with the same version.
/// </para>
/// <para>
/// Pages over the whole project or a time range of it (searches, GET /events, export chunks):
/// <see cref="CandidatePage"/>. The top matching rows read without FINAL (<see cref="Candidates"/>; only
/// the sort, key and filter columns, and ClickHouse stops at the top rows), then the current revision of
/// just those keys through the semi-join above, keeping a candidate only when it is that revision.
/// FINAL must read and merge the key columns of every row in scope before it can sort. Measured at 1M
/// events (`bench query --reuse`, classes, a machine at load 26 to 47): the search (page and total) went from
/// 6.5 s (p50) to 2.2 s; the candidates take about 0.5 s and the estimated total 0.1 s; most of the rest is
/// reading the wide columns of ~140 rows that lie in as many granules of a table sorted by session.
/// </para>
/// <para>
/// Counts and charts over the whole project (optionally a time range): <c>FINAL</c>. Measured on chDB
/// 26.5 (`bench query`): the semi-join over a whole project spends most of its time building and probing
/// the (event_id, version) set of every event (a count over 166,000 events 780 ms against 95 ms with FINAL;
/// the chart 1.2 s against 0.24 s; at 10 million events the semi-join's set alone takes seconds). FINAL
/// reads only the columns asked for plus the sort key and version, merges the parts' sorted streams, and
/// keeps the newest row per key (one row even for a revision inserted twice), dropping the key when that
/// row is a tombstone (the engine's is_deleted column). With FINAL ClickHouse applies conditions on
/// non-key columns after the merge (optimize_move_to_prewhere_if_final is off), so a stale revision
/// matching a filter still cannot come back. A search's total is exact this way only while the scope is
/// small; above QueryOptions.ExactCountMaxRows rows it is estimated without FINAL and says so
/// (EventQueries.TotalAsync). The tree reads one session's rows by key and picks the newest revisions in code
/// (SessionQueries.TreeAsync): for one session the key's rows beat FINAL (35 ms against 150 ms). The dedup key is (project_id, session_id, event_id) here, event_id within the
/// project there: the same thing, since revisions keep their session_id (0001_events.sql).
/// </para>
/// </summary>
public static class CurrentEvents
{
    public const string Columns = """
        event_id, project_id, org_id, workspace_id, session_id, parent_id, children_ids, event_type, event_name, source,
        toUnixTimestamp64Milli(start_time) AS start_ms, toUnixTimestamp64Milli(end_time) AS end_ms, duration, error,
        config, inputs, outputs, metadata, metrics, feedback, user_properties
        """;

    /// <summary><c>SELECT {select} FROM events WHERE</c> current, not deleted, in scope, and <paramref name="condition"/>.</summary>
    public static string Select(string select, EventScope scope, string condition, QueryParameters parameters)
    {
        var narrow = Scope(scope, parameters);
        if (!NarrowedByKey(scope))
        {
            return $"""
                SELECT {select}
                FROM events FINAL
                WHERE project_id = {QueryParameters.Project}{narrow}
                  AND is_deleted = 0
                  AND ({condition})
                """;
        }

        return $"""
            SELECT {select}
            FROM events
            WHERE project_id = {QueryParameters.Project}{narrow}
              AND (event_id, version) IN (
                  SELECT event_id, max(version) FROM events
                  WHERE project_id = {QueryParameters.Project}{narrow}
                  GROUP BY event_id)
              AND is_deleted = 0
              AND ({condition})
            """;
    }

    /// <summary>
    /// The current revision of each event of a scope that names sessions or events, in one pass over the rows the
    /// primary key finds: every revision, newest first per event, the first one kept, and only then tombstones
    /// dropped (so neither a deleted event nor a stale revision comes back). The semi-join of <see cref="Select"/>
    /// reads that key range twice: for a 1,000-span session at 10M events (`bench query --sql`) this took 39 ms against
    /// its 67. The tree uses it only for a session too large to pick in code (SessionQueries.TreeAsync). No user
    /// filter: a filter must apply after the newest revision is picked.
    /// </summary>
    public static string Newest(string select, EventScope scope, QueryParameters parameters)
    {
        if (!NarrowedByKey(scope)) throw new ArgumentException("Newest reads the rows of named sessions or events only.", nameof(scope));
        return $"""
            SELECT * EXCEPT (version, is_deleted) FROM (
                SELECT {select}, version, is_deleted
                FROM events
                WHERE project_id = {QueryParameters.Project}{Scope(scope, parameters)}
                ORDER BY event_id, version DESC
                LIMIT 1 BY event_id)
            WHERE is_deleted = 0
            """;
    }

    /// <summary>
    /// What a query listing rows of <see cref="Select"/> appends so each event comes once: <c>LIMIT 1 BY event_id</c>
    /// after the semi-join, nothing after FINAL (which already keeps one row per key; LIMIT BY there cost a search
    /// page 1.4 s instead of 0.5 s, as it stops ClickHouse from reading the wide columns of the top rows only).
    /// </summary>
    public static string OnePerEvent(EventScope scope) => NarrowedByKey(scope) ? "\nLIMIT 1 BY event_id" : "";

    /// <summary>
    /// <c>SELECT {select} FROM events WHERE</c> in scope, not a tombstone, and <paramref name="condition"/>, without
    /// FINAL: every revision that matches, stale ones included. Only for <see cref="CandidatePage"/>, which checks them.
    /// </summary>
    public static string Candidates(string select, EventScope scope, string condition, QueryParameters parameters) => $"""
        SELECT {select}
        FROM events
        WHERE project_id = {QueryParameters.Project}{Scope(scope, parameters)}
          AND is_deleted = 0
          AND ({condition})
        """;

    /// <summary><c>SELECT {select} FROM events WHERE</c> in scope: every stored row, revisions and tombstones included.</summary>
    public static string StoredRows(string select, EventScope scope, QueryParameters parameters) => $"""
        SELECT {select}
        FROM events
        WHERE project_id = {QueryParameters.Project}{Scope(scope, parameters)}
        """;

    /// <summary>The scope names sessions or events, so the primary key finds their rows.</summary>
    public static bool NarrowedByKey(EventScope scope) =>
        scope.EventId is not null || scope.EventIds is not null || scope.SessionId is not null || scope.SessionIds is not null;

    private static string Scope(EventScope scope, QueryParameters parameters)
    {
        var sql = new System.Text.StringBuilder();
        if (scope.EventId is not null) sql.Append(" AND event_id = ").Append(parameters.String(scope.EventId));
        if (scope.EventIds is not null) sql.Append(" AND event_id IN ").Append(parameters.Strings(scope.EventIds));
        if (scope.SessionId is not null) sql.Append(" AND session_id = ").Append(parameters.String(scope.SessionId));
        if (scope.SessionIds is not null) sql.Append(" AND session_id IN ").Append(parameters.Strings(scope.SessionIds));
        if (scope.From is { } from) sql.Append(" AND start_time >= ").Append(parameters.Time(from));
        if (scope.To is { } to) sql.Append(" AND start_time <= ").Append(parameters.Time(to));
        return sql.ToString();
    }
}
