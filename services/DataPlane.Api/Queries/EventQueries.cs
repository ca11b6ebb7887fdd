using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>A page of current events in sort order, with the cursor of the page after it (null on the last page).</summary>
/// <param name="Payloads">Moved inputs/outputs of these rows, by object key (see <see cref="PayloadResolver"/>).</param>
public sealed record EventPage(IReadOnlyList<JsonElement> Rows, Cursor? Next, IReadOnlyDictionary<string, string>? Payloads = null);

/// <summary>Reads events for one project: search pages, counts, single events.</summary>
public sealed class EventQueries(IAnalyticsStore store, PayloadResolver payloads)
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
                      $"\nORDER BY {search.Sort.OrderBy}{CurrentEvents.OnePerEvent(scope)}\nLIMIT {limit + 1} OFFSET {offset}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var page = rows.Count <= limit ? rows : rows.Take(limit).ToList();
        var loaded = await payloads.LoadAsync(page, project, cancellationToken);
        return new EventPage(page, rows.Count <= limit ? null : search.Sort.CursorOf(page[^1]), loaded);
    }

    /// <summary>How many current events match, ignoring pagination.</summary>
    public async Task<long> CountAsync(Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select("uniqExact(event_id) AS n", search.Scope, FilterCompiler.Compile(search.Filters, parameters), parameters);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? 0 : EventRowJson.ReadInt64(rows[0].GetProperty("n"));
    }

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
