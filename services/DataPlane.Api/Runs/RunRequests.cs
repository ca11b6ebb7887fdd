using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// The fields a create (PostExperimentRunRequest) or update (PutExperimentRunRequest) body sets; null
/// means "not sent". <c>project</c>, which the SDK 1.0.42 sends, is ignored: the key decides the project.
/// </summary>
public sealed record RunChanges
{
    public Guid? RunId { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public bool ClearDescription { get; init; }
    public string? Status { get; init; }
    public string? DatasetId { get; init; }
    public bool ClearDataset { get; init; }
    public IReadOnlyList<string>? EventIds { get; init; }
    public IReadOnlyList<string>? SessionIds { get; init; }
    public IReadOnlyList<string>? DatapointIds { get; init; }
    public JsonObject? Metadata { get; init; }
    public JsonObject? Results { get; init; }
    public JsonObject? Configuration { get; init; }
    public JsonArray? Evaluators { get; init; }
    public IReadOnlyDictionary<string, PassingRange>? PassingRanges { get; init; }
}

/// <summary>Validates run bodies field by field, so a 400 names the field at fault.</summary>
public static class RunRequests
{
    public static RunChanges Parse(JsonNode? body, bool create, int maxIds)
    {
        if (body is not JsonObject json) throw ApiRequestException.BadRequest("body", "The body is a JSON object.");

        Guid? runId = null;
        if (create && Present(json, "run_id") is { } id)
        {
            if (id.GetValueKind() != JsonValueKind.String || !Guid.TryParse(id.GetValue<string>(), out var parsed))
                throw ApiRequestException.BadRequest("run_id", "run_id is a UUID.");
            runId = parsed;
        }

        var status = OptionalString(json, "status");
        if (status is not null && !Run.Statuses.Contains(status))
            throw ApiRequestException.BadRequest("status", "status is one of pending, completed, failed, cancelled, running.");

        var name = OptionalString(json, "name");
        if (name is { Length: 0 }) throw ApiRequestException.BadRequest("name", "name is not empty.");

        var datasetNode = json["dataset_id"];
        var datasetId = OptionalString(json, "dataset_id");
        if (datasetId is { Length: 0 }) throw ApiRequestException.BadRequest("dataset_id", "dataset_id is not empty.");

        var passing = Present(json, "passing_ranges");
        var ranges = passing is null ? null
            : PassingRange.Parse(passing) ?? throw ApiRequestException.BadRequest("passing_ranges", "passing_ranges is {metric: {min, max}} with numbers.");

        var evaluators = Present(json, "evaluators");
        if (evaluators is not null and not JsonArray) throw ApiRequestException.BadRequest("evaluators", "evaluators is an array.");

        return new RunChanges
        {
            RunId = runId,
            Name = name,
            Description = OptionalString(json, "description"),
            ClearDescription = json.ContainsKey("description") && json["description"] is null,
            Status = status,
            DatasetId = datasetId,
            ClearDataset = json.ContainsKey("dataset_id") && datasetNode is null,
            EventIds = Ids(json, "event_ids", maxIds),
            SessionIds = Ids(json, "session_ids", maxIds),
            DatapointIds = Ids(json, "datapoint_ids", maxIds),
            Metadata = Object(json, "metadata"),
            Results = Object(json, "results"),
            Configuration = Object(json, "configuration"),
            Evaluators = (JsonArray?)evaluators?.DeepClone(),
            PassingRanges = ranges,
        };
    }

    private static JsonNode? Present(JsonObject json, string name) => json.TryGetPropertyValue(name, out var node) ? node : null;

    private static string? OptionalString(JsonObject json, string name)
    {
        var node = Present(json, name);
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String) throw ApiRequestException.BadRequest(name, $"{name} is a string.");
        return node.GetValue<string>();
    }

    private static JsonObject? Object(JsonObject json, string name) => Present(json, name) switch
    {
        null => null,
        JsonObject value => (JsonObject)value.DeepClone(),
        _ => throw ApiRequestException.BadRequest(name, $"{name} is an object."),
    };

    private static List<string>? Ids(JsonObject json, string name, int maxIds)
    {
        var node = Present(json, name);
        if (node is null) return null;
        if (node is not JsonArray array) throw ApiRequestException.BadRequest(name, $"{name} is an array of strings.");
        if (array.Count > maxIds) throw ApiRequestException.BadRequest(name, $"{name} holds at most {maxIds} ids.");
        var ids = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item is null || item.GetValueKind() != JsonValueKind.String || item.GetValue<string>() is not { Length: > 0 } id)
                throw ApiRequestException.BadRequest(name, $"{name} is an array of non-empty strings.");
            ids.Add(id);
        }

        return [.. ids.Distinct(StringComparer.Ordinal)];
    }
}
