using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>
/// The events <c>POST /datapoints/batch</c> curates from: the current revision of each (tombstoned
/// events excluded), read from ClickHouse in the caller's project only, moved inputs/outputs whole.
/// </summary>
public sealed class DatapointEventSource(IAnalyticsStore store, EventQueries queries, PayloadResolver payloads)
{
    /// <summary>The project's events among <paramref name="ids"/>, keyed by id; ids of other projects are simply absent.</summary>
    public async Task<IReadOnlyDictionary<string, JsonObject>> ByIdsAsync(Guid project, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return new Dictionary<string, JsonObject>();
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { EventIds = ids }, "1", parameters) + "\nLIMIT 1 BY event_id";
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var loaded = await payloads.LoadAsync(rows, project, cancellationToken);
        return rows.Select(row => EventRowJson.ToNode(row, loaded)).ToDictionary(e => e["event_id"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>Up to <paramref name="max"/> events matching the batch body's filters and dateRange, and whether more match.</summary>
    public async Task<(IReadOnlyList<JsonObject> Events, bool More)> MatchingAsync(
        Guid project, List<EventFilter>? filters, JsonElement dateRange, int max, CancellationToken cancellationToken)
    {
        try
        {
            var search = EventSearch.From(new EventSearchRequest { Filters = filters, DateRange = dateRange, Limit = max }, max);
            var page = await queries.PageAsync(project, search, null, max, 0, cancellationToken);
            return (page.Rows.Select(row => EventRowJson.ToNode(row, page.Payloads)).ToList(), page.Next is not null);
        }
        catch (ApiRequestException e) when (e.Field is { } field && !field.StartsWith("dateRange", StringComparison.Ordinal))
        {
            // The query compiler names the event field ("event_type"); in this body it sits under filters. Not an
            // answer: the refusal is re-keyed and thrown on, as every refusal, to the one exception handler.
            throw new ApiRequestException(e.Status, $"filters.{field}", e.Message);
        }
    }
}
