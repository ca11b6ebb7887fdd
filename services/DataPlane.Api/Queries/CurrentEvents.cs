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
/// The current revision of each event, without FINAL.
/// <para>
/// Strategy: a semi-join on <c>(event_id, max(version))</c>. The inner query groups only the two
/// narrow key columns of the caller's project (narrowed further by <see cref="EventScope"/>:
/// session, event id, time range), so deduplication never reads the wide Map buckets; the outer
/// query reads wide columns only for rows that are current, then drops tombstones and applies the
/// user filters. Order matters: picking the newest revision first and only then testing
/// <c>is_deleted = 0</c> and the filters means neither a deleted event nor a stale revision that
/// happened to match a filter comes back. FINAL would instead merge every column of every row in
/// range; <c>ORDER BY version DESC LIMIT 1 BY event_id</c> (the writer's choice for its
/// few-session reads) sorts whole rows, fine for one session and costly for a project.
/// <c>LIMIT 1 BY event_id</c> is still applied by callers that list rows, against a revision
/// inserted twice with the same version.
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
