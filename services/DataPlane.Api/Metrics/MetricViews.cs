using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using static HoneyHive.DataPlane.Api.Infrastructure.JsonBody;

namespace HoneyHive.DataPlane.Api.Metrics;

/// <summary>Response shapes: the data-plane spec's MetricItem / MetricVersion, and the legacy Metric the SDK 1.0.42 parses.</summary>
public static class MetricViews
{
    public static JsonObject Item(StoredMetric metric)
    {
        var item = (JsonObject)metric.Content.DeepClone();
        item["id"] = metric.Id.ToString();
        item["created_at"] = Timestamp(metric.CreatedAt);
        item["updated_at"] = metric.UpdatedAt is { } updated ? Timestamp(updated) : null;
        return item;
    }

    public static JsonObject Version(StoredMetricVersion version) => new()
    {
        ["name"] = VersionName(version.Version),
        ["full_sha"] = version.FullSha,
        ["message"] = version.Message,
        ["date"] = Timestamp(version.CreatedAt),
        ["deployed"] = version.Deployed,
        ["content"] = version.Content.DeepClone(),
    };

    public static string VersionName(int version) => "v" + version.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The SDK 1.0.42 Metric: lowercase legacy types, code in <c>code_snippet</c> (custom) or
    /// <c>prompt</c> (model), <c>task</c> = project, and no nulls anywhere, because its Zod schema
    /// rejects null for optional fields and fails the whole list.
    /// </summary>
    public static JsonObject Legacy(StoredMetric metric, string project)
    {
        var c = metric.Content;
        var type = c["type"]!.GetValue<string>();
        var criteria = c["criteria"]!.GetValue<string>();
        var view = new JsonObject
        {
            ["_id"] = metric.Id.ToString(),
            ["name"] = c["name"]!.GetValue<string>(),
            ["task"] = project,
            ["type"] = LegacyMetric.ToLegacyType(type),
            ["description"] = c["description"]?.GetValue<string>() ?? "",
            ["criteria"] = criteria,
            // That SDK knows no categorical type; its values are category names, i.e. strings.
            ["return_type"] = c["return_type"]!.GetValue<string>() == "categorical" ? "string" : c["return_type"]!.GetValue<string>(),
            ["enabled_in_prod"] = c["enabled_in_prod"]!.GetValue<bool>(),
            ["needs_ground_truth"] = c["needs_ground_truth"]!.GetValue<bool>(),
            ["sampling_percentage"] = c["sampling_percentage"]!.DeepClone(),
            ["created_at"] = Timestamp(metric.CreatedAt),
        };
        if (type == "PYTHON") view["code_snippet"] = criteria;
        if (type == "LLM") view["prompt"] = criteria;
        if (c["model_provider"] is { } provider) view["model_provider"] = provider.DeepClone();
        if (c["model_name"] is { } model) view["model_name"] = model.DeepClone();
        if (c["child_metrics"] is JsonArray children) view["child_metrics"] = children.DeepClone();
        if (c["threshold"] is JsonObject threshold)
        {
            var legacy = new JsonObject();
            if (threshold["min"] is { } min) legacy["min"] = min.DeepClone();
            if (threshold["max"] is { } max) legacy["max"] = max.DeepClone();
            view["threshold"] = legacy;
            if (Kind(threshold["pass_when"]) is JsonValueKind.True or JsonValueKind.False) view["pass_when"] = threshold["pass_when"]!.DeepClone();
        }
        foreach (var filter in c["filters"]?["filterArray"]?.AsArray() ?? [])
        {
            if (filter?["operator"]?.GetValue<string>() != "is" || Kind(filter["value"]) != JsonValueKind.String) continue;
            var field = filter["field"]?.GetValue<string>();
            if (field is "event_name" or "event_type") view[field] = filter["value"]!.DeepClone();
        }
        return view;
    }

    public static string Timestamp(DateTime value) =>
        DateTime.SpecifyKind(value, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The legacy request body (SDK 1.0.42 Metric / MetricEdit) mapped onto the spec's fields.</summary>
public static class LegacyMetric
{
    private static readonly Dictionary<string, string> FromLegacy = new(StringComparer.OrdinalIgnoreCase)
    {
        ["custom"] = "PYTHON", ["python"] = "PYTHON", ["model"] = "LLM", ["llm"] = "LLM", ["human"] = "HUMAN", ["composite"] = "COMPOSITE",
    };

    private static readonly string[] Copied =
    [
        "name", "criteria", "description", "return_type", "enabled_in_prod", "needs_ground_truth", "sampling_percentage",
        "model_provider", "model_name", "scale", "categories", "child_metrics", "filters",
    ];

    public static string ToLegacyType(string type) => type switch
    {
        "PYTHON" => "custom",
        "LLM" => "model",
        "HUMAN" => "human",
        _ => "composite",
    };

    /// <summary>
    /// The spec-shaped fields the legacy body sets (a partial definition). <paramref name="current"/>
    /// is the definition an edit applies to, so event filters replace only their own entries.
    /// </summary>
    public static JsonObject ToSpec(JsonObject legacy, JsonObject? current)
    {
        var spec = new JsonObject();
        foreach (var key in Copied)
        {
            // The old clients never sent null for "leave unchanged", but some send it for "unset".
            if (legacy[key] is { } value) spec[key] = value.DeepClone();
        }
        if (legacy["type"] is { } type)
            spec["type"] = Kind(type) == JsonValueKind.String && FromLegacy.TryGetValue(type.GetValue<string>(), out var mapped) ? mapped : type.DeepClone();
        if (spec["criteria"] is null && (legacy["code_snippet"] ?? legacy["prompt"]) is { } code) spec["criteria"] = code.DeepClone();
        if (legacy["threshold"] is JsonObject || legacy["pass_when"] is not null)
        {
            var merged = legacy["threshold"] is JsonObject given ? (JsonObject)given.DeepClone() : current?["threshold"] is JsonObject old ? (JsonObject)old.DeepClone() : [];
            if (legacy["pass_when"] is { } passWhen) merged["pass_when"] = passWhen.DeepClone();
            spec["threshold"] = merged;
        }
        if (legacy["event_name"] is not null || legacy["event_type"] is not null)
        {
            var filters = (spec["filters"] ?? current?["filters"])?["filterArray"]?.AsArray()
                .Where(f => f?["field"]?.GetValue<string>() is not ("event_name" or "event_type") || !legacy.ContainsKey(f!["field"]!.GetValue<string>()))
                .Select(f => f?.DeepClone()).ToList() ?? [];
            foreach (var field in new[] { "event_name", "event_type" })
            {
                if (legacy[field] is { } value)
                    filters.Add(new JsonObject { ["field"] = field, ["operator"] = "is", ["value"] = value.DeepClone(), ["type"] = "string" });
            }
            spec["filters"] = new JsonObject { ["filterArray"] = new JsonArray([.. filters]) };
        }
        return spec;
    }
}
