using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;

namespace HoneyHive.Evaluation.Queues;

/// <summary>
/// The rules of a HUMAN metric's scores: which values its definition admits, and the one value an event shows when
/// several annotators scored it.
/// </summary>
public static class HumanScores
{
    /// <summary>
    /// The value converted to the metric's return type, or null with the error recorded under <c>value</c>. A float is a
    /// number, from 1 to <c>scale</c> when the metric has one (a rating scale); a boolean is true or false; a categorical
    /// value is one of the metric's categories; a string is text.
    /// </summary>
    public static JsonNode? Check(JsonObject metric, JsonNode? value, FieldErrors errors)
    {
        var returnType = metric["return_type"]?.GetValue<string>() ?? "float";
        var kind = value is null ? JsonValueKind.Null : value.GetValueKind();
        switch (returnType)
        {
            case "float":
                if (kind != JsonValueKind.Number)
                {
                    errors.Add("value", "Must be a number: the metric's return type is float.");
                    return null;
                }
                var number = value!.GetValue<double>();
                if (!double.IsFinite(number))
                {
                    errors.Add("value", "Must be a finite number.");
                    return null;
                }
                if (metric["scale"] is JsonValue scaleNode && scaleNode.GetValue<double>() is var scale && (number < 1 || number > scale))
                {
                    errors.Add("value", string.Create(CultureInfo.InvariantCulture, $"Must be between 1 and {scale}: the metric's scale."));
                    return null;
                }
                return JsonValue.Create(number);
            case "boolean":
                if (kind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add("value", "Must be true or false: the metric's return type is boolean.");
                    return null;
                }
                return JsonValue.Create(kind == JsonValueKind.True);
            case "categorical":
                var categories = Categories(metric);
                if (kind != JsonValueKind.String || !categories.Contains(value!.GetValue<string>()))
                {
                    errors.Add("value", "Must be one of the metric's categories: " + string.Join(", ", categories) + ".");
                    return null;
                }
                return JsonValue.Create(value.GetValue<string>());
            default:
                if (kind != JsonValueKind.String)
                {
                    errors.Add("value", "Must be a string: the metric's return type is string.");
                    return null;
                }
                if (value!.GetValue<string>().Length > QueueLimits.MaxStringValue)
                {
                    errors.Add("value", $"Must be at most {QueueLimits.MaxStringValue} characters.");
                    return null;
                }
                return JsonValue.Create(value.GetValue<string>());
        }
    }

    public static IReadOnlyList<string> Categories(JsonObject metric) =>
        metric["categories"] is JsonArray list ? [.. list.Select(c => c?["category"]?.GetValue<string>()).OfType<string>()] : [];

    /// <summary>
    /// The value an event shows for several annotators' scores (in the order given, oldest first): the mean of floats; the
    /// most frequent boolean or category (a tie goes to the value scored most recently among the tied); the latest string.
    /// </summary>
    public static JsonNode? Combine(string returnType, IReadOnlyList<JsonNode> values)
    {
        if (values.Count == 0) return null;
        switch (returnType)
        {
            case "float":
                return JsonValue.Create(values.Average(v => v.GetValue<double>()));
            case "boolean":
            case "categorical":
                var keyed = values.Select((v, i) => (Key: v.ToJsonString(), Index: i)).ToList();
                var best = keyed.GroupBy(k => k.Key, StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max(k => k.Index)).First();
                return values[best.Max(k => k.Index)].DeepClone();
            default:
                return values[^1].DeepClone();
        }
    }
}
