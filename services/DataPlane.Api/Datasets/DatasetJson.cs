using System.Globalization;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>
/// Response objects for both generations of the API. The /v1 routes follow the data-plane spec
/// (<c>id</c>; nullable <c>ground_truth</c>, <c>metadata</c>, <c>linked_event</c> written as
/// null). The legacy routes serve SDK 1.0.42, whose Zod schemas want <c>_id</c> and reject null
/// where they expect an object or a string, so absent values are left out there instead.
/// </summary>
public static class DatasetJson
{
    public static JsonObject Dataset(DatasetRow row, Guid project) => new()
    {
        ["id"] = row.Id.ToString(),
        ["project"] = project.ToString(),
        ["name"] = row.Name,
        ["description"] = row.Description,
        ["type"] = row.Type,
        ["pipeline_type"] = row.PipelineType,
        ["datapoints"] = new JsonArray(row.Datapoints.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray()),
        ["num_points"] = row.Datapoints.Length,
        ["linked_evals"] = new JsonArray(row.LinkedEvals.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray()),
        ["saved"] = true,
        ["metadata"] = row.Metadata is null ? new JsonObject() : JsonNode.Parse(row.Metadata),
        ["created_at"] = Time(row.CreatedAt),
        ["updated_at"] = Time(row.UpdatedAt),
    };

    public static JsonObject Datapoint(DatapointRow row, Guid project, bool legacy)
    {
        var point = new JsonObject();
        if (legacy) point["_id"] = row.Id.ToString();
        point["id"] = row.Id.ToString();
        point["project_id"] = project.ToString();
        point["inputs"] = JsonNode.Parse(row.Inputs);
        point["history"] = JsonNode.Parse(row.History);
        Nullable(point, "ground_truth", row.GroundTruth is null ? null : JsonNode.Parse(row.GroundTruth), legacy);
        Nullable(point, "metadata", row.Metadata is null ? null : JsonNode.Parse(row.Metadata), legacy);
        Nullable(point, "linked_event", row.LinkedEvent is null ? null : JsonValue.Create(row.LinkedEvent), legacy);
        point["linked_datasets"] = new JsonArray(row.LinkedDatasets.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray());
        point["created_at"] = Time(row.CreatedAt);
        point["updated_at"] = Time(row.UpdatedAt);
        return point;
    }

    public static JsonArray Ids(IEnumerable<Guid> ids) => new(ids.Select(id => (JsonNode?)JsonValue.Create(id.ToString())).ToArray());

    private static void Nullable(JsonObject target, string name, JsonNode? value, bool legacy)
    {
        if (value is not null || !legacy) target[name] = value;
    }

    private static string Time(DateTime time) =>
        DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
