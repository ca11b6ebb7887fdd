using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Datapoints: <c>/v1/datapoints</c> of the data-plane spec and the legacy <c>/datapoints</c> of
/// SDK 1.0.42, plus <c>POST /datapoints/batch</c>, which curates datapoints from stored events.
/// Every statement is scoped to the key's project, so another project's ids answer 404.
/// </summary>
public static class DatapointsApi
{
    private const int MaxIdLength = 200;

    public static void MapDatapointsApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1", "" })
        {
            app.MapGet($"{prefix}/datapoints", ListAsync).RequirePermission(Permissions.DatasetsRead);
            app.MapPost($"{prefix}/datapoints", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            app.MapPost($"{prefix}/datapoints/batch", BatchAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            app.MapGet($"{prefix}/datapoints/{{datapoint_id}}", GetAsync).RequirePermission(Permissions.DatasetsRead);
            app.MapPut($"{prefix}/datapoints/{{datapoint_id}}", UpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            app.MapDelete($"{prefix}/datapoints/{{datapoint_id}}", DeleteAsync).RequirePermission(Permissions.DatasetsWrite);
        }
    }

    private static async Task<JsonNodeResult> ListAsync(
        HttpRequest request, ClaimsPrincipal user, DatapointStore store, DatasetOptions options,
        [FromQuery(Name = "datapoint_ids")] string[]? datapointIds, [FromQuery(Name = "dataset_name")] string? datasetName,
        [FromQuery(Name = "dataset_id")] string? datasetId, [FromQuery(Name = "limit")] string? limit, [FromQuery(Name = "page")] string? page,
        CancellationToken cancellationToken)
    {
        var project = user.ProjectId();
        var filter = new DatapointFilter(
            Ids(datapointIds, options.MaxItemsPerRequest),
            datasetId is null ? null : JsonBody.Id(datasetId, "dataset_id"),
            datasetName is { Length: > 200 } ? throw ApiRequestException.BadRequest("dataset_name", "dataset_name is longer than 200 characters.") : datasetName);
        var paging = Paging.From(limit, page, options.MaxDatapointsLimit);
        if (filter.DatasetId is { } dataset && !await store.DatasetExistsAsync(project, dataset, cancellationToken))
            throw ApiRequestException.NotFound("dataset_id", $"Dataset {dataset} not found.");
        var rows = await store.ListAsync(project, filter, paging.Limit, paging.Offset, cancellationToken);
        var legacy = DatasetsApi.IsLegacy(request);
        return new JsonNodeResult(new JsonObject { ["datapoints"] = new JsonArray(rows.Select(r => (JsonNode?)DatasetJson.Datapoint(r, project, legacy)).ToArray()) });
    }

    private static async Task<JsonNodeResult> GetAsync(
        [FromRoute(Name = "datapoint_id")] string datapointId, HttpRequest request, ClaimsPrincipal user, DatapointStore store,
        CancellationToken cancellationToken)
    {
        var id = JsonBody.Id(datapointId, "datapoint_id");
        var project = user.ProjectId();
        var row = await store.GetAsync(project, id, cancellationToken) ?? throw DatapointNotFound(id);
        // Both specs wrap the one datapoint in an array.
        return new JsonNodeResult(new JsonObject { ["datapoint"] = new JsonArray(DatasetJson.Datapoint(row, project, DatasetsApi.IsLegacy(request))) });
    }

    private static async Task<JsonNodeResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, DatapointStore store, DatasetOptions options, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        var point = new NewDatapoint(
            JsonBody.Object(body, "inputs") ?? new JsonObject(),
            JsonBody.ObjectArray(body, "history", options.MaxItemsPerRequest) ?? new JsonArray(),
            JsonBody.Object(body, "ground_truth"),
            JsonBody.Object(body, "metadata"),
            JsonBody.String(body, "linked_event", MaxIdLength));
        var datasets = JsonBody.IdArray(body, "linked_datasets", options.MaxItemsPerRequest) ?? [];
        var ids = await store.CreateAsync(
            user.ProjectId(), [DatapointText.From(point, "", options.MaxDatapointBytes)], datasets, "linked_datasets", cancellationToken);
        // insertedId is what SDK 1.0.42 reads, insertedIds what the data-plane spec names.
        return new JsonNodeResult(new JsonObject
        {
            ["inserted"] = true,
            ["result"] = new JsonObject { ["insertedId"] = ids[0].ToString(), ["insertedIds"] = DatasetJson.Ids(ids) },
        });
    }

    private static async Task<JsonNodeResult> UpdateAsync(
        [FromRoute(Name = "datapoint_id")] string datapointId, HttpRequest request, ClaimsPrincipal user, DatapointStore store, DatasetOptions options,
        CancellationToken cancellationToken)
    {
        var id = JsonBody.Id(datapointId, "datapoint_id");
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        var max = options.MaxDatapointBytes;
        var change = new DatapointChange(
            JsonBody.Object(body, "inputs") is { } inputs ? JsonBody.Text(inputs, "inputs", max) : null,
            JsonBody.ObjectArray(body, "history", options.MaxItemsPerRequest) is { } history ? JsonBody.Text(history, "history", max) : null,
            JsonBody.Object(body, "ground_truth") is { } groundTruth ? JsonBody.Text(groundTruth, "ground_truth", max) : null,
            JsonBody.Object(body, "metadata") is { } metadata ? JsonBody.Text(metadata, "metadata", max) : null,
            JsonBody.String(body, "linked_event", MaxIdLength),
            JsonBody.IdArray(body, "linked_datasets", options.MaxItemsPerRequest));
        if (!await store.UpdateAsync(user.ProjectId(), id, change, cancellationToken)) throw DatapointNotFound(id);
        return new JsonNodeResult(new JsonObject { ["updated"] = true, ["result"] = new JsonObject { ["modifiedCount"] = 1 } });
    }

    private static async Task<JsonNodeResult> DeleteAsync(
        [FromRoute(Name = "datapoint_id")] string datapointId, ClaimsPrincipal user, DatapointStore store, CancellationToken cancellationToken)
    {
        var id = JsonBody.Id(datapointId, "datapoint_id");
        if (!await store.DeleteAsync(user.ProjectId(), id, cancellationToken)) throw DatapointNotFound(id);
        return new JsonNodeResult(new JsonObject { ["deleted"] = true });
    }

    /// <summary>
    /// Datapoints from events: those named in <c>events</c> (and <c>checkState</c> entries set to
    /// true), or with <c>selectAll</c> every event matching <c>filters</c> and <c>dateRange</c>
    /// except the ones <c>checkState</c> sets to false. Each event's current revision is mapped by
    /// <c>mapping</c> and keeps its id as linked_event; <c>dataset_id</c> adds them to a dataset.
    /// </summary>
    private static async Task<JsonNodeResult> BatchAsync(
        HttpRequest request, ClaimsPrincipal user, DatapointStore store, DatapointEventSource events, DatasetOptions options,
        CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        var max = options.MaxItemsPerRequest;
        var named = JsonBody.StringArray(body, "events", max) ?? [];
        for (var i = 0; i < named.Count; i++)
            if (named[i].Length > MaxIdLength) throw ApiRequestException.BadRequest($"events[{i}]", $"events[{i}] is not an event id.");
        var checkState = CheckState(body);
        var selectAll = JsonBody.Boolean(body, "selectAll") ?? false;
        var mapping = DatapointMapping.Parse(body) ?? DatapointMapping.EventDefault;
        List<Guid> datasets = body["dataset_id"] is null ? [] : new List<Guid> { JsonBody.Id(JsonBody.String(body, "dataset_id", MaxIdLength), "dataset_id") };

        var explicitIds = named.Concat(checkState.Where(c => c.Value).Select(c => c.Key)).Distinct(StringComparer.Ordinal).ToList();
        if (explicitIds.Count > max) throw ApiRequestException.BadRequest("events", $"At most {max} events per batch.");
        if (explicitIds.Count == 0 && !selectAll)
            throw ApiRequestException.BadRequest("events", "Name the events (events, checkState) or set selectAll with filters.");

        var project = user.ProjectId();
        var found = await events.ByIdsAsync(project, explicitIds, cancellationToken);
        var selected = new List<JsonObject>();
        for (var i = 0; i < explicitIds.Count; i++)
        {
            // Absent, deleted and other projects' events look the same: not found.
            if (!found.TryGetValue(explicitIds[i], out var evt)) throw ApiRequestException.NotFound("events", $"Event {explicitIds[i]} not found.");
            selected.Add(evt);
        }

        if (selectAll)
        {
            var (matching, more) = await events.MatchingAsync(project, Filters(body), DateRange(body), max, cancellationToken);
            if (more) throw ApiRequestException.BadRequest("filters", $"More than {max} events match; narrow filters or dateRange.");
            var seen = explicitIds.ToHashSet(StringComparer.Ordinal);
            selected.AddRange(matching.Where(e =>
            {
                var id = e["event_id"]!.GetValue<string>();
                return !(checkState.TryGetValue(id, out var on) && !on) && seen.Add(id);
            }));
            if (selected.Count > max) throw ApiRequestException.BadRequest("events", $"At most {max} events per batch.");
        }

        var points = selected.Select((e, i) => DatapointText.From(mapping.FromEvent(e), $"events[{i}]", options.MaxDatapointBytes)).ToList();
        var ids = points.Count == 0 ? Array.Empty<Guid>() : await store.CreateAsync(project, points, datasets, "dataset_id", cancellationToken);
        return new JsonNodeResult(new JsonObject { ["inserted"] = ids.Length > 0, ["insertedIds"] = DatasetJson.Ids(ids) });
    }

    private static List<Guid>? Ids(string[]? values, int max)
    {
        if (values is null || values.Length == 0) return null;
        // Repeated keys (?datapoint_ids=a&datapoint_ids=b, what the SDK sends) or comma-separated.
        var ids = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (ids.Count > max) throw ApiRequestException.BadRequest("datapoint_ids", $"datapoint_ids holds more than {max} ids.");
        return ids.Select((id, i) => JsonBody.Id(id, $"datapoint_ids[{i}]")).ToList();
    }

    private static Dictionary<string, bool> CheckState(JsonObject body)
    {
        var node = body["checkState"];
        if (node is null) return [];
        if (node is not JsonObject state) throw ApiRequestException.BadRequest("checkState", "checkState maps event ids to true or false.");
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (id, value) in state)
        {
            result[id] = value?.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw ApiRequestException.BadRequest($"checkState.{id}", $"checkState.{id} must be true or false."),
            };
        }

        return result;
    }

    /// <summary>The spec allows one filter object or an array of them, each <c>{field, operator, value, type}</c>.</summary>
    private static List<EventFilter>? Filters(JsonObject body)
    {
        var node = body["filters"];
        if (node is null) return null;
        try
        {
            var filters = node switch
            {
                JsonArray array => array.Deserialize<List<EventFilter?>>() ?? [],
                JsonObject one => [one.Deserialize<EventFilter>()],
                _ => throw ApiRequestException.BadRequest("filters", "filters is a filter object or an array of them."),
            };
            for (var i = 0; i < filters.Count; i++)
                if (filters[i] is null) throw ApiRequestException.BadRequest($"filters[{i}]", $"filters[{i}] must be a filter object.");
            return filters.Select(f => f!).ToList();
        }
        catch (JsonException)
        {
            throw ApiRequestException.BadRequest("filters", "filters is a filter object or an array of {field, operator, value, type}.");
        }
    }

    private static JsonElement DateRange(JsonObject body) =>
        body["dateRange"] is { } range ? JsonSerializer.SerializeToElement(range) : default;

    private static ApiRequestException DatapointNotFound(Guid id) => ApiRequestException.NotFound("datapoint_id", $"Datapoint {id} not found.");
}
