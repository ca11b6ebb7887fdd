using System.Text.Json.Nodes;
using HoneyHive.Ingestion.Normalization;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// Applies OTLP's value limits to client JSON: prototype-reaching and over-long keys are cleaned
/// by <see cref="SafeKeys"/>, over-long strings are clipped and values nested deeper than
/// <see cref="IngestLimits.MaxDepth"/> become JSON text, each recorded in <see cref="Truncation"/>.
/// </summary>
public static class JsonSanitizer
{
    public static JsonObject CleanObject(JsonObject source, IngestLimits limits, Truncation truncation, string path) =>
        (JsonObject)Clean(source, limits, truncation, path, depth: 1)!;

    public static JsonNode? Clean(JsonNode? node, IngestLimits limits, Truncation truncation, string path, int depth)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                if (depth > limits.MaxDepth) return AsText(obj, limits, truncation, path);
                var cleaned = new JsonObject();
                foreach (var (key, child) in obj)
                {
                    var safe = SafeKeys.Clean(key, limits, truncation);
                    cleaned[safe] = Clean(child, limits, truncation, path + "." + safe, depth + 1);
                }
                return cleaned;
            case JsonArray array:
                if (depth > limits.MaxDepth) return AsText(array, limits, truncation, path);
                var items = new JsonArray();
                foreach (var child in array) items.Add(Clean(child, limits, truncation, path, depth + 1));
                return items;
            case JsonValue value when value.TryGetValue<string>(out var text):
                if (text.Length <= limits.MaxValueLength) return JsonValue.Create(text);
                truncation.ValueTruncated(path);
                return JsonValue.Create(AnyValueConverter.Clip(text, limits.MaxValueLength));
            default:
                return node.DeepClone();
        }
    }

    private static JsonValue AsText(JsonNode node, IngestLimits limits, Truncation truncation, string path)
    {
        truncation.ValueTruncated(path);
        return JsonValue.Create(AnyValueConverter.Clip(node.ToJsonString(), limits.MaxValueLength));
    }
}
