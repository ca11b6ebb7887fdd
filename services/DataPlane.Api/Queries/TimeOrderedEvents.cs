using System.Text.RegularExpressions;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Reads of <c>events_by_time</c> (Schema/0009_events_by_time.sql): every row of events, narrow, sorted by
/// (project_id, start_time, event_id). A project-wide read whose filters and sort name only its
/// columns reads it instead of events (<see cref="Covers"/>); a read naming a bucket path without a typed column
/// keeps reading events.
/// <para>
/// Candidates (<see cref="Candidates"/>, for <see cref="CandidatePage"/>): the newest matching rows read in time
/// order stop after the granules that hold them, where events must read the key columns of every row of the
/// project to sort them. They are checked against events by key exactly as before, so a stale revision or a
/// tombstoned event found here never comes back.
/// </para>
/// <para>
/// Current rows (<see cref="Current"/>, for exact counts; charts stay on events FINAL, see ChartQueries): FINAL here keeps the newest row per
/// (start_time, event_id), i.e. per event, since revisions keep start_time; session events, whose roll-up may
/// move start_time earlier, are kept only when they are their event's newest row (<see cref="CurrentSessionRows"/>;
/// sessions are a small share of the rows). As with events, FINAL applies conditions on non-key columns after
/// the merge, so a stale revision matching a filter does not come back, and a tombstone removes its key.
/// </para>
/// </summary>
public static partial class TimeOrderedEvents
{
    public const string Table = "events_by_time";

    /// <summary>
    /// True when <paramref name="sql"/> (compiled by <see cref="FilterCompiler"/>)
    /// reads no Map bucket, i.e. only columns events_by_time holds: top-level columns and typed columns (user text
    /// only ever travels as a <c>{pN:Type}</c> parameter, so a bucket name in the text is a column read).
    /// </summary>
    public static bool Covers(string sql) => !BucketColumn().IsMatch(sql);

    /// <summary>Every revision in scope that is not a tombstone and matches: candidates, checked by <see cref="CandidatePage"/>.</summary>
    public static string Candidates(string select, EventScope scope, string condition, QueryParameters parameters) => $"""
        SELECT {select}
        FROM {Table}
        WHERE project_id = {QueryParameters.Project}{Range(scope, parameters)}
          AND is_deleted = 0
          AND ({condition})
        """;

    /// <summary>Every stored row in scope, revisions and tombstones included (the rows FINAL would read).</summary>
    public static string StoredRows(string select, EventScope scope, QueryParameters parameters) => $"""
        SELECT {select}
        FROM {Table}
        WHERE project_id = {QueryParameters.Project}{Range(scope, parameters)}
        """;

    /// <summary>The current revision of each event in scope, not deleted, matching <paramref name="condition"/>: one row per event.</summary>
    public static string Current(string select, EventScope scope, string condition, QueryParameters parameters) => $"""
        SELECT {select}
        FROM {Table} FINAL
        WHERE project_id = {QueryParameters.Project}{Range(scope, parameters)}
          AND is_deleted = 0
          AND ({condition})
          AND {CurrentSessionRows}
        SETTINGS do_not_merge_across_partitions_select_final = 1
        """;

    /// <summary>A session row only when it is its event's newest (see the class remarks); any other row as FINAL left it.</summary>
    private const string CurrentSessionRows = $"""
        (event_type != 'session' OR (event_id, version) IN (
              SELECT event_id, max(version) FROM {Table}
              WHERE project_id = {QueryParameters.Project} AND event_type = 'session'
              GROUP BY event_id))
        """;

    /// <summary>Only time ranges: a scope naming sessions or events reads events by its primary key instead.</summary>
    private static string Range(EventScope scope, QueryParameters parameters)
    {
        if (CurrentEvents.NarrowedByKey(scope)) throw new ArgumentException("events_by_time serves project-wide reads only.", nameof(scope));
        var sql = new System.Text.StringBuilder();
        if (scope.From is { } from) sql.Append(" AND start_time >= ").Append(parameters.Time(from));
        if (scope.To is { } to) sql.Append(" AND start_time <= ").Append(parameters.Time(to));
        return sql.ToString();
    }

    [GeneratedRegex(@"\b(inputs|outputs|config|metadata|metrics|feedback|user_properties|children_ids|org_id|workspace_id|inserted_at)\b", RegexOptions.CultureInvariant)]
    private static partial Regex BucketColumn();
}
