using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>A page of current events in sort order, with the cursor of the page after it (null on the last page).</summary>
/// <param name="Payloads">Moved inputs/outputs of these rows, by object key (see <see cref="PayloadResolver"/>).</param>
public sealed record EventPage(IReadOnlyList<JsonElement> Rows, Cursor? Next, IReadOnlyDictionary<string, string>? Payloads = null);

/// <summary>How many events match; <paramref name="IsEstimate"/> when counted without deduplicating revisions (see <see cref="EventQueries.TotalAsync"/>).</summary>
public sealed record EventTotal(long Count, bool IsEstimate);

/// <summary>Reads events for one project: search pages, counts, single events.</summary>
public sealed class EventQueries(IAnalyticsStore store, PayloadResolver payloads, QueryOptions? options = null)
{
    private readonly QueryOptions options = options ?? new QueryOptions();

    /// <summary>One page: <paramref name="limit"/> rows after <paramref name="after"/> (or from <paramref name="offset"/>).</summary>
    public async Task<EventPage> PageAsync(Guid project, EventSearch search, Cursor? after, int limit, int offset, CancellationToken cancellationToken)
    {
        var scope = search.Scope;
        // start_time never changes across revisions, so the cursor may also narrow the
        // deduplication scope: later pages (an export's chunks) stop re-reading earlier ones.
        if (after is not null && search.Sort.Field == "start_time")
        {
            var time = DateTimeOffset.UnixEpoch.AddTicks(long.Parse(after.Value, CultureInfo.InvariantCulture) * 10);
            scope = search.Sort.Descending
                ? scope with { To = scope.To is { } to && to < time ? to : time }
                : scope with { From = scope.From is { } from && from > time ? from : time };
        }

        string Condition(QueryParameters parameters)
        {
            var condition = FilterCompiler.Compile(search.Filters, parameters);
            return after is null ? condition : condition + " AND " + search.Sort.After(after, parameters);
        }

        // One row more than asked tells whether another page exists.
        var select = CurrentEvents.Columns + ", " + search.Sort.ValueColumn;
        IReadOnlyList<JsonElement>? rows = null;
        if (!CurrentEvents.NarrowedByKey(scope))
            rows = await CandidatePage.ReadAsync(store, project, scope, Condition, search.Sort, select, offset, limit + 1, cancellationToken);
        if (rows is null && CurrentEvents.NarrowedByKey(scope))
            rows = await KeyedPageAsync(project, scope, Condition, search.Sort, select, limit + 1, offset, cancellationToken);
        if (rows is null)
        {
            var parameters = new QueryParameters(project);
            var sql = CurrentEvents.Select(select, scope, Condition(parameters), parameters)
                      + string.Create(CultureInfo.InvariantCulture,
                          $"\nORDER BY {search.Sort.OrderBy}{CurrentEvents.OnePerEvent(scope)}\nLIMIT {limit + 1} OFFSET {offset}");
            rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        }

        var page = rows.Count <= limit ? rows : rows.Take(limit).ToList();
        var loaded = await payloads.LoadAsync(page, project, cancellationToken);
        return new EventPage(page, rows.Count <= limit ? null : search.Sort.CursorOf(page[^1]), loaded);
    }

    /// <summary>
    /// A page of a scope that names sessions or events, in two reads: the page's keys from the current revisions
    /// that match, reading only key, sort and filter columns; then the wide columns of exactly those events. One read
    /// of both decompressed the wide columns of every granule holding an event of the named sessions: the session
    /// list's window (about 200 sessions, 101 session rows wanted) took 1.7-2.2 s in that statement at 10M events.
    /// </summary>
    private async Task<IReadOnlyList<JsonElement>> KeyedPageAsync(Guid project, EventScope scope, Func<QueryParameters, string> condition,
        EventSort sort, string select, int count, int offset, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var keysSql = CurrentEvents.Select("event_id, session_id, " + sort.ValueColumn, scope, condition(parameters), parameters)
                      + string.Create(CultureInfo.InvariantCulture, $"\nORDER BY {sort.OrderBy}{CurrentEvents.OnePerEvent(scope)}\nLIMIT {count} OFFSET {offset}");
        var keys = await store.QueryAsync(keysSql, parameters.Values, cancellationToken);
        if (keys.Count == 0) return keys;

        var exact = new EventScope
        {
            EventIds = keys.Select(k => k.GetProperty("event_id").GetString()!).ToList(),
            SessionIds = keys.Select(k => k.GetProperty("session_id").GetString()!).Distinct(StringComparer.Ordinal).ToList(),
        };
        var rowsParameters = new QueryParameters(project);
        var rowsSql = CurrentEvents.Select(select, exact, "1", rowsParameters) + CurrentEvents.OnePerEvent(exact);
        var rows = await store.QueryAsync(rowsSql, rowsParameters.Values, cancellationToken);
        // In the keys' order. An event deleted between the two reads drops out; one revised between them comes in its newest revision.
        var byId = new Dictionary<string, JsonElement>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows) byId[row.GetProperty("event_id").GetString()!] = row;
        var page = new List<JsonElement>(keys.Count);
        foreach (var key in keys)
        {
            if (byId.TryGetValue(key.GetProperty("event_id").GetString()!, out var row)) page.Add(row);
        }
        return page;
    }

    /// <summary>How many current events match, ignoring pagination; exact (FINAL over the scope, of events_by_time when it can evaluate the filters).</summary>
    public async Task<long> CountAsync(Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var condition = FilterCompiler.Compile(search.Filters, parameters);
        var sql = TimeOrdered(search.Scope, condition)
            ? TimeOrderedEvents.Current("count() AS n", search.Scope, condition, parameters)
            : CurrentEvents.Select("uniqExact(event_id) AS n", search.Scope, condition, parameters);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? 0 : EventRowJson.ReadInt64(rows[0].GetProperty("n"));
    }

    /// <summary>
    /// The total a search answers with: exact (<see cref="CountAsync"/>) when the scope holds at most
    /// <see cref="QueryOptions.ExactCountMaxRows"/> rows, since FINAL's cost follows the rows in scope, not the
    /// matches; otherwise the matching rows that are not tombstones, counted without FINAL and flagged as an
    /// estimate: it also counts revisions that merges have not yet collapsed (an event updated since, or
    /// deleted since, a session's roll-up copies), so it is at least the exact count and reaches it as parts merge.
    /// </summary>
    public async Task<EventTotal> TotalAsync(Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        if (CurrentEvents.NarrowedByKey(search.Scope)) return new EventTotal(await CountAsync(project, search, cancellationToken), false);

        var parameters = new QueryParameters(project);
        var condition = FilterCompiler.Compile(search.Filters, parameters);
        const string counts = "count() AS rows_in_scope, countIf(is_deleted = 0 AND ({0})) AS matches";
        var sql = TimeOrdered(search.Scope, condition)
            ? TimeOrderedEvents.StoredRows(string.Format(CultureInfo.InvariantCulture, counts, condition), search.Scope, parameters)
            : CurrentEvents.StoredRows(string.Format(CultureInfo.InvariantCulture, counts, condition), search.Scope, parameters);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var inScope = EventRowJson.ReadInt64(rows[0].GetProperty("rows_in_scope"));
        if (inScope <= options.ExactCountMaxRows) return new EventTotal(await CountAsync(project, search, cancellationToken), false);
        return new EventTotal(EventRowJson.ReadInt64(rows[0].GetProperty("matches")), true);
    }

    /// <summary>A project-wide read (no sessions or events named) whose condition events_by_time can evaluate.</summary>
    private static bool TimeOrdered(EventScope scope, string condition) => !CurrentEvents.NarrowedByKey(scope) && TimeOrderedEvents.Covers(condition);

    /// <summary>The current revision of one event of the project, or null (absent, deleted, or another project's).</summary>
    public async Task<JsonObject?> GetAsync(Guid project, string eventId, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { EventId = eventId }, "1", parameters) + "\nLIMIT 1";
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? null : EventRowJson.ToNode(rows[0], await payloads.LoadAsync(rows, project, cancellationToken));
    }

    /// <summary>Tombstones one event of the project (see <see cref="EventTombstones"/>); false when the project has no such event.</summary>
    public Task<bool> DeleteAsync(Guid project, string eventId, CancellationToken cancellationToken) =>
        EventTombstones.WriteAsync(store, project, new EventScope { EventId = eventId }, cancellationToken);
}
