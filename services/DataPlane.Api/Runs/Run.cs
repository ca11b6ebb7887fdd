using System.Globalization;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>One experiment run as stored in dpdb; the JSON buckets are kept as parsed nodes.</summary>
public sealed record Run(
    Guid Id,
    Guid ProjectId,
    string? Name,
    string? Description,
    string Status,
    string? DatasetId,
    IReadOnlyList<string> EventIds,
    IReadOnlyList<string> SessionIds,
    IReadOnlyList<string> DatapointIds,
    JsonObject Metadata,
    JsonObject Results,
    JsonObject Configuration,
    JsonArray Evaluators,
    IReadOnlyDictionary<string, PassingRange> PassingRanges,
    bool IsActive,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public static readonly IReadOnlySet<string> Statuses =
        new HashSet<string>(StringComparer.Ordinal) { "pending", "completed", "failed", "cancelled", "running" };

    /// <summary>
    /// The spec's ExperimentRunObject plus the fields the SDK 1.0.42 reads (project, datapoint_ids,
    /// session_ids, evaluators, passing_ranges). Absent values are omitted, never null: the SDK's
    /// Zod schemas take <c>name</c> and (in comparisons) <c>dataset_id</c> as optional strings and
    /// reject null.
    /// </summary>
    public JsonObject ToJson()
    {
        var id = Id.ToString();
        var json = new JsonObject
        {
            ["id"] = id,
            ["run_id"] = id,
            ["project"] = ProjectId.ToString(),
            ["scope_type"] = "project",
            ["scope_id"] = ProjectId.ToString(),
        };
        if (Name is not null) json["name"] = Name;
        if (Description is not null) json["description"] = Description;
        json["status"] = Status;
        if (DatasetId is not null) json["dataset_id"] = DatasetId;
        json["event_ids"] = Strings(EventIds);
        json["session_ids"] = Strings(SessionIds);
        json["datapoint_ids"] = Strings(DatapointIds);
        json["metadata"] = Metadata.DeepClone();
        json["results"] = Results.DeepClone();
        json["configuration"] = Configuration.DeepClone();
        json["evaluators"] = Evaluators.DeepClone();
        json["passing_ranges"] = PassingRange.ToJson(PassingRanges);
        json["is_active"] = IsActive;
        json["created_at"] = Time(CreatedAt);
        json["updated_at"] = Time(UpdatedAt);
        return json;
    }

    /// <summary>The sessions the client declared part of the run (the Python SDK sends session ids as event_ids).</summary>
    public IReadOnlyList<string> DeclaredIds => [.. EventIds.Concat(SessionIds).Distinct(StringComparer.Ordinal)];

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    // ISO 8601 with an offset: the SDK parses created_at with z.string().datetime({ offset: true }).
    private static string Time(DateTime time) =>
        DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The values of a metric that pass: inclusive bounds, either may be open.</summary>
public sealed record PassingRange(double? Min, double? Max)
{
    public bool Passes(double value) => (Min is not { } min || value >= min) && (Max is not { } max || value <= max);

    public JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Min is { } min) json["min"] = min;
        if (Max is { } max) json["max"] = max;
        return json;
    }

    public static JsonObject ToJson(IReadOnlyDictionary<string, PassingRange> ranges)
    {
        var json = new JsonObject();
        foreach (var (name, range) in ranges.OrderBy(r => r.Key, StringComparer.Ordinal)) json[name] = range.ToJson();
        return json;
    }

    /// <summary>Reads <c>{metric: {min, max}}</c>; null when the shape is wrong (the caller names the field).</summary>
    public static Dictionary<string, PassingRange>? Parse(JsonNode? node)
    {
        if (node is not JsonObject ranges) return null;
        var result = new Dictionary<string, PassingRange>(StringComparer.Ordinal);
        foreach (var (name, value) in ranges)
        {
            if (value is not JsonObject range) return null;
            double? min = null, max = null;
            foreach (var (bound, number) in range)
            {
                if (number is null) continue;
                if (number is not JsonValue v || !v.TryGetValue<double>(out var d) || !double.IsFinite(d)) return null;
                if (bound == "min") min = d;
                else if (bound == "max") max = d;
            }

            result[name] = new PassingRange(min, max);
        }

        return result;
    }
}
