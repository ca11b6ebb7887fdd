using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Datasets: <c>/v1/datasets</c> of the data-plane spec and the legacy <c>/datasets</c> that SDK
/// 1.0.42 calls (list answers <c>testcases</c> there, <c>datasets</c> on /v1). Every statement is
/// scoped to the key's project, so another project's ids answer 404.
/// </summary>
public static class DatasetsApi
{
    private const string UntitledName = "Untitled Dataset";
    private const int MaxNameLength = 200;
    private const int MaxDescriptionLength = 10_000;
    private const int MaxLinkedEvals = 1000;
    private static readonly string[] Types = ["evaluation", "fine-tuning"];
    private static readonly string[] PipelineTypes = ["event", "session"];

    public static void MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1", "" })
        {
            app.MapGet($"{prefix}/datasets", ListAsync).RequirePermission(Permissions.DatasetsRead);
            app.MapPost($"{prefix}/datasets", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            // Deprecated forms: the id in the body (PUT) or the query (DELETE); SDK 1.0.42 uses them.
            app.MapPut($"{prefix}/datasets", UpdateByBodyAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            app.MapDelete($"{prefix}/datasets", DeleteByQueryAsync).RequirePermission(Permissions.DatasetsWrite);
            app.MapPut($"{prefix}/datasets/{{dataset_id}}", UpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            app.MapDelete($"{prefix}/datasets/{{dataset_id}}", DeleteAsync).RequirePermission(Permissions.DatasetsWrite);
            app.MapPost($"{prefix}/datasets/{{dataset_id}}/datapoints", AddDatapointsAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.DatasetsWrite);
            app.MapDelete($"{prefix}/datasets/{{dataset_id}}/datapoints/{{datapoint_id}}", RemoveDatapointAsync).RequirePermission(Permissions.DatasetsWrite);
            app.MapDelete($"{prefix}/datasets/{{dataset_id}}/{{datapoint_id}}", RemoveDatapointAsync).RequirePermission(Permissions.DatasetsWrite);
        }
    }

    private static async Task<JsonNodeResult> ListAsync(
        HttpRequest request, ClaimsPrincipal user, DatasetStore store, DatasetOptions options,
        [FromQuery(Name = "dataset_id")] string? datasetId, [FromQuery(Name = "name")] string? name, [FromQuery(Name = "type")] string? type,
        [FromQuery(Name = "limit")] string? limit, [FromQuery(Name = "page")] string? page, CancellationToken cancellationToken)
    {
        // include_datapoints (legacy spec) needs nothing: datapoint ids are always listed.
        var filter = new DatasetFilter(
            datasetId is null ? null : JsonBody.Id(datasetId, "dataset_id"),
            name is { Length: > MaxNameLength } ? throw ApiRequestException.BadRequest("name", $"name is longer than {MaxNameLength} characters.") : name,
            type is null ? null : OneOf(type, Types, "type"));
        var paging = Paging.From(limit, page, options.MaxDatasetsLimit);
        var project = user.ProjectId();
        var rows = await store.ListAsync(project, filter, paging.Limit, paging.Offset, cancellationToken);
        var datasets = new JsonArray(rows.Select(r => (JsonNode?)DatasetJson.Dataset(r, project)).ToArray());
        return new JsonNodeResult(new JsonObject { [IsLegacy(request) ? "testcases" : "datasets"] = datasets });
    }

    private static async Task<JsonNodeResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, DatasetStore store, DatasetOptions options, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        // The legacy spec requires a name; the data-plane spec defaults it.
        var name = JsonBody.String(body, "name", MaxNameLength) ?? (IsLegacy(request)
            ? throw ApiRequestException.BadRequest("name", "name is required.")
            : UntitledName);
        var input = new DatasetInput(
            NonBlank(name, "name"),
            JsonBody.String(body, "description", MaxDescriptionLength) ?? "",
            OneOf(JsonBody.String(body, "type", 50) ?? Types[0], Types, "type"),
            OneOf(JsonBody.String(body, "pipeline_type", 50) ?? PipelineTypes[0], PipelineTypes, "pipeline_type"),
            JsonBody.StringArray(body, "linked_evals", MaxLinkedEvals) ?? [],
            Metadata(body, options),
            JsonBody.IdArray(body, "datapoints", options.MaxItemsPerRequest) ?? []);
        var id = await store.CreateAsync(user.ProjectId(), input, cancellationToken);
        return new JsonNodeResult(new JsonObject { ["inserted"] = true, ["result"] = new JsonObject { ["insertedId"] = id.ToString() } });
    }

    private static async Task<JsonNodeResult> UpdateAsync(
        [FromRoute(Name = "dataset_id")] string datasetId, HttpRequest request, ClaimsPrincipal user, DatasetStore store, DatasetOptions options,
        CancellationToken cancellationToken)
    {
        var id = JsonBody.Id(datasetId, "dataset_id");
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        return new JsonNodeResult(await ApplyUpdateAsync(user.ProjectId(), id, body, store, options, cancellationToken));
    }

    private static async Task<JsonNodeResult> UpdateByBodyAsync(
        HttpRequest request, ClaimsPrincipal user, DatasetStore store, DatasetOptions options, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        var id = JsonBody.Id(JsonBody.String(body, "dataset_id", 100), "dataset_id");
        return new JsonNodeResult(await ApplyUpdateAsync(user.ProjectId(), id, body, store, options, cancellationToken));
    }

    private static async Task<JsonNode> ApplyUpdateAsync(
        Guid project, Guid id, JsonObject body, DatasetStore store, DatasetOptions options, CancellationToken cancellationToken)
    {
        var name = JsonBody.String(body, "name", MaxNameLength);
        var change = new DatasetChange(
            name is null ? null : NonBlank(name, "name"),
            JsonBody.String(body, "description", MaxDescriptionLength),
            JsonBody.StringArray(body, "linked_evals", MaxLinkedEvals),
            Metadata(body, options),
            JsonBody.IdArray(body, "datapoints", options.MaxItemsPerRequest));
        var row = await store.UpdateAsync(project, id, change, cancellationToken) ?? throw DatasetNotFound(id);
        return new JsonObject { ["result"] = DatasetJson.Dataset(row, project) };
    }

    private static async Task<JsonNodeResult> DeleteAsync(
        [FromRoute(Name = "dataset_id")] string datasetId, ClaimsPrincipal user, DatasetStore store, CancellationToken cancellationToken) =>
        new(await DeleteOneAsync(user.ProjectId(), JsonBody.Id(datasetId, "dataset_id"), store, cancellationToken));

    private static async Task<JsonNodeResult> DeleteByQueryAsync(
        [FromQuery(Name = "dataset_id")] string? datasetId, ClaimsPrincipal user, DatasetStore store, CancellationToken cancellationToken) =>
        new(await DeleteOneAsync(user.ProjectId(), JsonBody.Id(datasetId, "dataset_id"), store, cancellationToken));

    private static async Task<JsonNode> DeleteOneAsync(Guid project, Guid id, DatasetStore store, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAsync(project, id, cancellationToken)) throw DatasetNotFound(id);
        return new JsonObject { ["result"] = new JsonObject { ["id"] = id.ToString() } };
    }

    private static async Task<JsonNodeResult> AddDatapointsAsync(
        [FromRoute(Name = "dataset_id")] string datasetId, HttpRequest request, ClaimsPrincipal user, DatasetStore store, DatasetOptions options,
        CancellationToken cancellationToken)
    {
        var id = JsonBody.Id(datasetId, "dataset_id");
        var body = await JsonBody.ReadObjectAsync(request, options.MaxBodyBytes, cancellationToken);
        var data = JsonBody.ObjectArray(body, "data", options.MaxItemsPerRequest);
        if (data is null || data.Count == 0) throw ApiRequestException.BadRequest("data", "data is a non-empty array of JSON objects.");
        var mapping = DatapointMapping.Parse(body) ?? throw ApiRequestException.BadRequest("mapping", "mapping is required.");
        var points = new List<DatapointText>(data.Count);
        for (var i = 0; i < data.Count; i++)
        {
            var field = $"data[{i}]";
            points.Add(DatapointText.From(mapping.FromData(data[i]!.AsObject(), field), field, options.MaxDatapointBytes));
        }

        var ids = await store.AddDatapointsAsync(user.ProjectId(), id, points, cancellationToken) ?? throw DatasetNotFound(id);
        return new JsonNodeResult(new JsonObject { ["inserted"] = true, ["datapoint_ids"] = DatasetJson.Ids(ids) });
    }

    private static async Task<JsonNodeResult> RemoveDatapointAsync(
        [FromRoute(Name = "dataset_id")] string datasetId, [FromRoute(Name = "datapoint_id")] string datapointId, ClaimsPrincipal user,
        DatasetStore store, CancellationToken cancellationToken)
    {
        var id = JsonBody.Id(datasetId, "dataset_id");
        var point = JsonBody.Id(datapointId, "datapoint_id");
        if (!await store.RemoveDatapointAsync(user.ProjectId(), id, point, cancellationToken))
            throw ApiRequestException.NotFound("datapoint_id", $"Datapoint {point} is not in dataset {id}.");
        return new JsonNodeResult(new JsonObject { ["dereferenced"] = true, ["message"] = $"Datapoint {point} removed from dataset {id}." });
    }

    internal static bool IsLegacy(HttpRequest request) => !request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);

    private static ApiRequestException DatasetNotFound(Guid id) => ApiRequestException.NotFound("dataset_id", $"Dataset {id} not found.");

    private static string? Metadata(JsonObject body, DatasetOptions options) =>
        JsonBody.Object(body, "metadata") is { } metadata ? JsonBody.Text(metadata, "metadata", options.MaxDatapointBytes) : null;

    private static string NonBlank(string value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw ApiRequestException.BadRequest(field, $"{field} must not be empty.") : value;

    private static string OneOf(string value, string[] allowed, string field) =>
        allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw ApiRequestException.BadRequest(field, $"{field} is one of {string.Join(", ", allowed)}.");
}
