using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// Pass or fail from a metric's <c>threshold</c> (min, max, pass_when, passing_categories): null when the metric has no
/// threshold that applies to its return type, so "no verdict" is never mistaken for "failed".
/// </summary>
public static class Thresholds
{
    public static bool? Passed(JsonObject metric, JsonNode value)
    {
        if (metric["threshold"] is not JsonObject threshold) return null;
        var returnType = metric["return_type"]?.GetValue<string>() ?? "float";
        var kind = value.GetValueKind();
        switch (returnType)
        {
            case "boolean" when kind is JsonValueKind.True or JsonValueKind.False:
                return threshold["pass_when"] is { } passWhen && passWhen.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? passWhen.GetValue<bool>() == value.GetValue<bool>()
                    : null;
            case "categorical" when kind == JsonValueKind.String:
                return threshold["passing_categories"] is JsonArray passing
                    ? passing.Any(p => p?.GetValue<string>() == value.GetValue<string>())
                    : null;
            case "float" when kind == JsonValueKind.Number:
                var number = value.GetValue<double>();
                var min = threshold["min"]?.GetValue<double>();
                var max = threshold["max"]?.GetValue<double>();
                var target = threshold["pass_when"] is { } exact && exact.GetValueKind() == JsonValueKind.Number ? exact.GetValue<double>() : (double?)null;
                if (min is null && max is null && target is null) return null;
                return (min is null || number >= min) && (max is null || number <= max) && (target is null || number == target);
            default:
                return null;
        }
    }
}
