using System.Globalization;
using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>A page of current events in sort order, with the cursor of the page after it (null on the last page).</summary>
public sealed record EventPage(IReadOnlyList<JsonElement> Rows, Cursor? Next);

/// <summary>Reads events for one project: search pages, counts, single events.</summary>
public sealed class EventQueries(IAnalyticsStore store)
{
    /// <summary>One page: <paramref name="limit"/> rows after <paramref name="after"/> (or from <paramref name="offset"/>).</summary>
    public async Task<EventPage> PageAsync(Guid project, EventSearch search, Cursor? after, int limit, int offset, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var condition = FilterCompiler.Compile(search.Filters, parameters);
        var scope = search.Scope;
        if (after is not null)
        {
            condition += " AND " + search.Sort.After(after, parameters);
            // start_time never changes across revisions, so the cursor may also narrow the
            // deduplication scope: later pages (an export's chunks) stop re-reading earlier ones.
            if (search.Sort.Field == "start_time")
            {
                var time = DateTimeOffset.UnixEpoch.AddTicks(long.Parse(after.Value, CultureInfo.InvariantCulture) * 10);
                scope = search.Sort.Descending
                    ? scope with { To = scope.To is { } to && to < time ? to : time }
                    : scope with { From = scope.From is { } from && from > time ? from : time };
            }
        }

        // One row more than asked tells whether another page exists.
        var sql = CurrentEvents.Select(CurrentEvents.Columns + ", " + search.Sort.ValueColumn, scope, condition, parameters)
                  + string.Create(CultureInfo.InvariantCulture,
                      $"\nORDER BY {search.Sort.OrderBy}\nLIMIT 1 BY event_id\nLIMIT {limit + 1} OFFSET {offset}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        if (rows.Count <= limit) return new EventPage(rows, null);
        var page = rows.Take(limit).ToList();
        return new EventPage(page, search.Sort.CursorOf(page[^1]));
    }

    /// <summary>How many current events match, ignoring pagination.</summary>
    public async Task<long> CountAsync(Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select("uniqExact(event_id) AS n", search.Scope, FilterCompiler.Compile(search.Filters, parameters), parameters);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? 0 : EventJson.ReadInt64(rows[0].GetProperty("n"));
    }

    /// <summary>The current revision of one event of the project, or null (absent, deleted, or another project's).</summary>
    public async Task<JsonElement?> GetAsync(Guid project, string eventId, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { EventId = eventId }, "1", parameters) + "\nLIMIT 1";
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }
}
