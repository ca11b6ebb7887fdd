using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using static HoneyHive.DataPlane.Api.Infrastructure.JsonBody;

namespace HoneyHive.DataPlane.Api.Metrics;

/// <summary>
/// The data-plane spec's metric definition (MetricVersionContent): checks a whole definition and
/// returns it in canonical form, every field present, defaults filled in. Every stored version
/// went through <see cref="Normalize"/>, so reads can trust the shape.
/// </summary>
public static class MetricDefinition
{
    public const int MaxName = 200;
    public const int MaxCriteria = 100_000;

    public static readonly string[] Types = ["PYTHON", "LLM", "HUMAN", "COMPOSITE"];
    public static readonly string[] ReturnTypes = ["float", "boolean", "string", "categorical"];
    public static readonly string[] FilterOperators =
        ["exists", "not exists", "is", "is not", "contains", "not contains", "greater than", "less than", "after", "before"];
    public static readonly string[] FilterTypes = ["string", "number", "boolean", "datetime"];

    /// <summary>The fields of a definition, in the order responses list them.</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "name", "type", "criteria", "description", "return_type", "enabled_in_prod", "needs_ground_truth",
        "sampling_percentage", "model_provider", "model_name", "scale", "threshold", "categories", "child_metrics", "filters",
    };

    private static readonly HashSet<string> ThresholdFields = new(StringComparer.Ordinal) { "min", "max", "pass_when", "passing_categories" };
    private static readonly HashSet<string> CategoryFields = new(StringComparer.Ordinal) { "category", "score" };
    private static readonly HashSet<string> ChildFields = new(StringComparer.Ordinal) { "id", "name", "weight", "scale" };
    private static readonly HashSet<string> FiltersFields = new(StringComparer.Ordinal) { "filterArray" };
    private static readonly HashSet<string> FilterFields = new(StringComparer.Ordinal) { "field", "operator", "value", "type" };

    /// <summary>Checks a complete definition; records errors and returns the canonical copy.</summary>
    public static JsonObject Normalize(JsonObject input, FieldErrors errors)
    {
        var name = String(input, "name", "name", errors, required: true, MaxName, nonBlank: true);
        var type = OneOf(input, "type", "type", Types, errors, required: true);
        var criteria = String(input, "criteria", "criteria", errors, required: true, MaxCriteria, nonBlank: true);
        var description = String(input, "description", "description", errors, maxLength: 10_000) ?? "";
        var returnType = OneOf(input, "return_type", "return_type", ReturnTypes, errors) ?? "float";
        var enabledInProd = Bool(input, "enabled_in_prod", "enabled_in_prod", errors) ?? type == "HUMAN";
        var needsGroundTruth = Bool(input, "needs_ground_truth", "needs_ground_truth", errors) ?? false;
        var sampling = Number(input, "sampling_percentage", "sampling_percentage", errors, 0, 100) ?? 10;
        var modelProvider = String(input, "model_provider", "model_provider", errors, maxLength: MaxName);
        var modelName = String(input, "model_name", "model_name", errors, maxLength: MaxName);
        var scale = PositiveInteger(input, "scale", "scale", errors);

        if (type == "LLM")
        {
            // An LLM judge cannot run without knowing which model to call.
            if (string.IsNullOrWhiteSpace(modelProvider)) errors.Add("model_provider", "Required for LLM metrics.");
            if (string.IsNullOrWhiteSpace(modelName)) errors.Add("model_name", "Required for LLM metrics.");
        }

        var categories = Categories(input, errors);
        if (returnType == "categorical" && categories is null && input["categories"] is null)
            errors.Add("categories", "Required when return_type is categorical.");
        var threshold = Threshold(input, categories, errors);
        var children = ChildMetrics(input, errors);
        if (type == "COMPOSITE" && children is null && input["child_metrics"] is null)
            errors.Add("child_metrics", "Required for COMPOSITE metrics.");
        var filters = Filters(input, errors);

        return new JsonObject
        {
            ["name"] = name,
            ["type"] = type,
            ["criteria"] = criteria,
            ["description"] = description,
            ["return_type"] = returnType,
            ["enabled_in_prod"] = enabledInProd,
            ["needs_ground_truth"] = needsGroundTruth,
            ["sampling_percentage"] = sampling,
            ["model_provider"] = modelProvider,
            ["model_name"] = modelName,
            ["scale"] = scale,
            ["threshold"] = threshold,
            ["categories"] = categories,
            ["child_metrics"] = children,
            ["filters"] = filters,
        };
    }

    private static JsonArray? Categories(JsonObject input, FieldErrors errors)
    {
        var array = Array(input, "categories", "categories", errors, minItems: 1);
        if (array is null) return null;
        var result = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"categories[{i}]";
            if (array[i] is not JsonObject item)
            {
                errors.Add(path, "Must be an object with category and score.");
                continue;
            }
            RejectUnknown(item, CategoryFields, errors, path + ".");
            var category = String(item, "category", path + ".category", errors, required: true, MaxName, nonBlank: true);
            if (category is not null && !seen.Add(category)) errors.Add(path + ".category", "Categories must be unique.");
            var score = Kind(item["score"]) == JsonValueKind.Null ? null : Number(item, "score", path + ".score", errors);
            result.Add(new JsonObject { ["category"] = category, ["score"] = score });
        }
        return result;
    }

    private static JsonObject? Threshold(JsonObject input, JsonArray? categories, FieldErrors errors)
    {
        var threshold = Object(input, "threshold", "threshold", errors);
        if (threshold is null) return null;
        RejectUnknown(threshold, ThresholdFields, errors, "threshold.");
        var result = new JsonObject();
        var min = Number(threshold, "min", "threshold.min", errors);
        var max = Number(threshold, "max", "threshold.max", errors);
        if (min is not null) result["min"] = min;
        if (max is not null) result["max"] = max;
        if (min > max) errors.Add("threshold.min", "Must not be greater than threshold.max.");
        var passWhen = threshold["pass_when"];
        if (passWhen is not null)
        {
            if (Kind(passWhen) is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number) result["pass_when"] = passWhen.DeepClone();
            else errors.Add("threshold.pass_when", "Must be a boolean or a number.");
        }
        var passing = Array(threshold, "passing_categories", "threshold.passing_categories", errors, minItems: 1);
        if (passing is not null)
        {
            var known = categories?.Select(c => c?["category"]?.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            var list = new JsonArray();
            for (var i = 0; i < passing.Count; i++)
            {
                var path = $"threshold.passing_categories[{i}]";
                if (Kind(passing[i]) != JsonValueKind.String)
                {
                    errors.Add(path, "Must be a string.");
                    continue;
                }
                var value = passing[i]!.GetValue<string>();
                if (value.Length > MaxName) errors.Add(path, $"Must be at most {MaxName} characters.");
                else if (known is null || !known.Contains(value)) errors.Add(path, "Must name one of the metric's categories.");
                list.Add(value);
            }
            result["passing_categories"] = list;
        }
        return result;
    }

    private static JsonArray? ChildMetrics(JsonObject input, FieldErrors errors)
    {
        var array = Array(input, "child_metrics", "child_metrics", errors, minItems: 1);
        if (array is null) return null;
        var result = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"child_metrics[{i}]";
            if (array[i] is not JsonObject item)
            {
                errors.Add(path, "Must be an object with name and weight.");
                continue;
            }
            RejectUnknown(item, ChildFields, errors, path + ".");
            var child = new JsonObject();
            if (String(item, "id", path + ".id", errors, nonBlank: true) is { } id) child["id"] = id;
            child["name"] = String(item, "name", path + ".name", errors, required: true, MaxName, nonBlank: true);
            var weight = Number(item, "weight", path + ".weight", errors);
            if (weight is null && item["weight"] is null) errors.Add(path + ".weight", "Required.");
            child["weight"] = weight;
            child["scale"] = PositiveInteger(item, "scale", path + ".scale", errors);
            result.Add(child);
        }
        return result;
    }

    private static JsonObject Filters(JsonObject input, FieldErrors errors)
    {
        var filters = Object(input, "filters", "filters", errors);
        var result = new JsonArray();
        if (filters is not null)
        {
            RejectUnknown(filters, FiltersFields, errors, "filters.");
            var array = Array(filters, "filterArray", "filters.filterArray", errors, maxItems: 100);
            if (array is null && filters["filterArray"] is null) errors.Add("filters.filterArray", "Required.");
            for (var i = 0; i < (array?.Count ?? 0); i++)
            {
                var path = $"filters.filterArray[{i}]";
                if (array![i] is not JsonObject item)
                {
                    errors.Add(path, "Must be an object with field, operator, value and type.");
                    continue;
                }
                RejectUnknown(item, FilterFields, errors, path + ".");
                var field = String(item, "field", path + ".field", errors, required: true, maxLength: 500, nonBlank: true);
                var op = OneOf(item, "operator", path + ".operator", FilterOperators, errors, required: true);
                var type = OneOf(item, "type", path + ".type", FilterTypes, errors, required: true);
                var value = item["value"];
                if (Kind(value) is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                    errors.Add(path + ".value", "Must be a string, number, boolean or null.");
                result.Add(new JsonObject { ["field"] = field, ["operator"] = op, ["value"] = value?.DeepClone(), ["type"] = type });
            }
        }
        return new JsonObject { ["filterArray"] = result };
    }
}
