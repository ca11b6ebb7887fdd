using System.Globalization;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// A session list page read from the few sessions that can fill it, found in <c>session_bounds</c>
/// (0008_session_bounds.sql: the earliest and latest start_time any session row of a session had), instead
/// of sorting every session event of the project with FINAL.
/// <para>
/// For start_time descending: the candidates are the k sessions with the latest <c>max_start</c>; their
/// session events are read exactly (current revision, not deleted, the request's filters, range and cursor,
/// through <see cref="EventQueries.PageAsync"/> scoped to their ids). A session outside the candidates starts at
/// or before the (k+1)-th <c>max_start</c>, so when the row after the page (the one that decides next_cursor)
/// starts strictly later than that, no other session can reach the page and it equals the project-wide answer.
/// Otherwise (filters rejecting most candidates, deleted sessions, ties) k grows; past
/// <see cref="MaxCandidates"/> the caller reads the project-wide way. Ascending is the mirror image with
/// <c>min_start</c>. Other sort fields have no bound here and always read the project-wide way.
/// </para>
/// </summary>
public static class SessionListWindow
{
    /// <summary>Most session ids one read sends as a parameter.</summary>
    public const int MaxCandidates = 20_000;

    /// <summary>The page, or null when the window cannot prove it (the caller falls back to the project-wide read).</summary>
    /// <param name="search">The session list's search: its filters already hold <c>event_type is session</c>.</param>
    public static async Task<EventPage?> PageAsync(IAnalyticsStore store, EventQueries queries, Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        if (search.Sort.Field != "start_time") return null;
        var decisive = (long)search.Offset + search.Limit + 1;
        // Twice the rows the page needs leaves room for deleted sessions and filters; each retry widens four times.
        for (var k = (int)Math.Min(2 * decisive, MaxCandidates); ; k = Math.Min(k * 4, MaxCandidates))
        {
            var (ids, nextBound) = await CandidatesAsync(store, project, search, k, cancellationToken);
            if (ids.Count == 0) return new EventPage([], null);
            var windowed = search with { Scope = search.Scope with { SessionIds = ids } };
            // One row past the page: the row that decides next_cursor must be proven too.
            var probe = await queries.PageAsync(project, windowed, search.After, search.Limit + 1, search.Offset, cancellationToken);
            var complete = nextBound is null;
            var proven = complete || (probe.Rows.Count == search.Limit + 1 && Outside(search.Sort, probe.Rows[^1], nextBound!.Value));
            if (proven)
            {
                var rows = probe.Rows.Count <= search.Limit ? probe.Rows : probe.Rows.Take(search.Limit).ToList();
                return new EventPage(rows, probe.Rows.Count > search.Limit ? search.Sort.CursorOf(rows[^1]) : null, probe.Payloads);
            }

            if (k == MaxCandidates) return null;
        }
    }

    /// <summary>
    /// Sessions whose session event can be in the request's range (and past its cursor) and on the first pages,
    /// as many as <paramref name="count"/>; the bound of the next one in order (null when there is none).
    /// </summary>
    private static async Task<(IReadOnlyList<string> Ids, long? NextBound)> CandidatesAsync(
        IAnalyticsStore store, Guid project, EventSearch search, int count, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var having = new List<string> { "1" };
        if (search.Scope.From is { } from) having.Add("max(max_start) >= " + parameters.Time(from));
        if (search.Scope.To is { } to) having.Add("min(min_start) <= " + parameters.Time(to));
        if (search.After is { } after)
        {
            var time = parameters.Time(DateTimeOffset.UnixEpoch.AddTicks(long.Parse(after.Value, CultureInfo.InvariantCulture) * 10));
            having.Add(search.Sort.Descending ? $"min(min_start) <= {time}" : $"max(max_start) >= {time}");
        }

        var bound = search.Sort.Descending ? "max(max_start)" : "min(min_start)";
        var direction = search.Sort.Descending ? "DESC" : "ASC";
        var sql = string.Create(CultureInfo.InvariantCulture, $"""
            SELECT session_id, toString(toUnixTimestamp64Micro({bound})) AS bound
            FROM session_bounds
            WHERE project_id = {QueryParameters.Project}
            GROUP BY session_id
            HAVING {string.Join(" AND ", having)}
            ORDER BY {bound} {direction}, session_id
            LIMIT {count + 1}
            """);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var ids = rows.Take(count).Select(r => r.GetProperty("session_id").GetString()!).ToList();
        long? next = rows.Count > count ? long.Parse(rows[count].GetProperty("bound").GetString()!, CultureInfo.InvariantCulture) : null;
        return (ids, next);
    }

    /// <summary>How many sessions may have a session event in the range: an upper estimate (deleted sessions, filters and bounds that merely overlap count).</summary>
    public static async Task<long> EstimateAsync(IAnalyticsStore store, Guid project, EventScope scope, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var having = new List<string> { "1" };
        if (scope.From is { } from) having.Add("max(max_start) >= " + parameters.Time(from));
        if (scope.To is { } to) having.Add("min(min_start) <= " + parameters.Time(to));
        var sql = $"""
            SELECT toString(count()) AS n FROM (
                SELECT session_id FROM session_bounds
                WHERE project_id = {QueryParameters.Project}
                GROUP BY session_id
                HAVING {string.Join(" AND ", having)})
            """;
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? 0 : EventRowJson.ReadInt64(rows[0].GetProperty("n"));
    }

    /// <summary>True when the row sorts strictly before every session whose bound is <paramref name="nextBound"/> or beyond.</summary>
    private static bool Outside(EventSort sort, System.Text.Json.JsonElement row, long nextBound)
    {
        var start = long.Parse(row.GetProperty("sort_value").GetString()!, CultureInfo.InvariantCulture);
        return sort.Descending ? start > nextBound : start < nextBound;
    }
}
