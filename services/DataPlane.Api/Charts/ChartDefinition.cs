using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;

namespace HoneyHive.DataPlane.Api.Charts;

/// <summary>
/// The data-plane spec's CreateChartRequest / UpdateChartRequest (both closed schemas): checked field
/// by field, each error naming its field, and bounded so one chart cannot grow without limit.
/// </summary>
public static class ChartDefinition
{
    public const int MaxName = 200;
    public const int MaxDescription = 4000;
    public const int MaxText = 200;
    public const int MaxFilters = 50;
    public const int MaxFilterValue = 1000;

    public static readonly string[] Bucketings = ["minute", "hour", "day", "week", "month"];

    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
        { "name", "description", "metric", "func", "groupBy", "bucketing", "dateRange", "query", "owner_id" };

    private static readonly IReadOnlySet<string> FilterFields = new HashSet<string>(StringComparer.Ordinal) { "field", "value", "type", "operator" };

    /// <summary>
    /// The stored content of a chart: on create (<paramref name="create"/>) name and metric are required and
    /// bucketing defaults to day; on update only the fields present are checked and returned.
    /// </summary>
    public static JsonObject Normalize(JsonObject body, bool create, FieldErrors errors)
    {
        JsonBody.RejectUnknown(body, Fields, errors);
        var content = new JsonObject();
        void Keep(string key, JsonNode? value)
        {
            if (body.ContainsKey(key)) content[key] = value?.DeepClone();
        }

        Keep("name", JsonBody.String(body, "name", "name", errors, required: create, maxLength: MaxName, nonBlank: true));
        Keep("description", JsonBody.String(body, "description", "description", errors, maxLength: MaxDescription));
        Keep("metric", JsonBody.String(body, "metric", "metric", errors, required: create, maxLength: MaxText, nonBlank: true));
        Keep("func", JsonBody.String(body, "func", "func", errors, maxLength: MaxText));
        Keep("groupBy", body["groupBy"] is null ? null : JsonBody.String(body, "groupBy", "groupBy", errors, maxLength: MaxText));
        Keep("bucketing", JsonBody.OneOf(body, "bucketing", "bucketing", Bucketings, errors));
        Keep("owner_id", JsonBody.String(body, "owner_id", "owner_id", errors, maxLength: MaxText, nonBlank: true));
        if (body.ContainsKey("dateRange")) content["dateRange"] = DateRange(body["dateRange"], errors);
        if (body.ContainsKey("query")) content["query"] = Query(body, errors);
        if (create && !content.ContainsKey("bucketing")) content["bucketing"] = "day";
        return content;
    }

    /// <summary>RelativeDateRange <c>{relative}</c> or AbsoluteDateRange <c>{$gte, $lte}</c> (strings or numbers).</summary>
    private static JsonObject? DateRange(JsonNode? node, FieldErrors errors)
    {
        if (node is not JsonObject range)
        {
            errors.Add("dateRange", "Must be {\"relative\": \"7d\"} or {\"$gte\": ..., \"$lte\": ...}.");
            return null;
        }

        if (range.ContainsKey("relative"))
        {
            JsonBody.RejectUnknown(range, new HashSet<string>(StringComparer.Ordinal) { "relative" }, errors, "dateRange.");
            var relative = JsonBody.String(range, "relative", "dateRange.relative", errors, required: true, maxLength: MaxText, nonBlank: true);
            return relative is null ? null : new JsonObject { ["relative"] = relative };
        }

        var result = new JsonObject();
        foreach (var bound in new[] { "$gte", "$lte" })
        {
            var value = range[bound];
            if (value is null) errors.Add("dateRange." + bound, "Required (an ISO 8601 time or Unix milliseconds), or send {\"relative\": ...} instead.");
            else if (JsonBody.Kind(value) is not (JsonValueKind.String or JsonValueKind.Number)) errors.Add("dateRange." + bound, "Must be a string or a number.");
            else if (JsonBody.Kind(value) == JsonValueKind.String && value.GetValue<string>().Length > MaxText) errors.Add("dateRange." + bound, $"Must be at most {MaxText} characters.");
            else result[bound] = value.DeepClone();
        }

        // AbsoluteDateRange is open (no additionalProperties: false): other keys are kept if small.
        foreach (var (key, value) in range)
            if (key is not "$gte" and not "$lte" && key.Length <= MaxText && JsonBody.Kind(value) is JsonValueKind.String or JsonValueKind.Number)
                result[key] = value!.DeepClone();
        return result;
    }

    /// <summary>QueryFilter[]: field, value (string or null), type and operator, all required.</summary>
    private static JsonArray? Query(JsonObject body, FieldErrors errors)
    {
        var items = JsonBody.Array(body, "query", "query", errors, maxItems: MaxFilters);
        if (items is null) return null;
        var result = new JsonArray();
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"query[{i}]";
            if (items[i] is not JsonObject filter)
            {
                errors.Add(path, "Must be an object {field, operator, value, type}.");
                continue;
            }

            var nested = errors.Under(path + ".");
            JsonBody.RejectUnknown(filter, FilterFields, nested);
            var field = JsonBody.String(filter, "field", "field", nested, required: true, maxLength: MaxText, nonBlank: true);
            var op = JsonBody.String(filter, "operator", "operator", nested, required: true, maxLength: MaxText, nonBlank: true);
            var type = JsonBody.String(filter, "type", "type", nested, required: true, maxLength: MaxText, nonBlank: true);
            string? value = null;
            if (!filter.ContainsKey("value")) nested.Add("value", "Required (a string, or null).");
            else if (filter["value"] is not null) value = JsonBody.String(filter, "value", "value", nested, maxLength: MaxFilterValue);
            result.Add(new JsonObject { ["field"] = field, ["value"] = value, ["type"] = type, ["operator"] = op });
        }

        return result;
    }
}
