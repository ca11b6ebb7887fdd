using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Ingestion.Normalization;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// Applies OTLP's value limits to client JSON: prototype-reaching and over-long keys are cleaned
/// by <see cref="SafeKeys"/>, over-long strings are clipped and values nested deeper than
/// <see cref="IngestLimits.MaxDepth"/> become JSON text, each recorded in <see cref="Truncation"/>.
/// Two forms of the same rules: event values (<see cref="EventJson"/>: the event API's events), where a
/// value that needs no change is returned as it is, so a clean parsed bucket is published without a
/// copy; and JSON trees (<see cref="JsonObject"/>: event updates and the LLM proxy's model calls).
/// </summary>
public static class JsonSanitizer
{
    /// <summary>A bucket with the limits applied: the same object when nothing in it breaks them.</summary>
    public static EventObject CleanBucket(EventObject bucket, IngestLimits limits, Truncation truncation, string path) =>
        NeedsCleaning(bucket, limits, depth: 1) ? (EventObject)Rebuild(bucket, limits, truncation, path, depth: 1)! : bucket;

    /// <summary>An event value with the limits applied: the same value when nothing in it breaks them.</summary>
    public static object? Clean(object? value, IngestLimits limits, Truncation truncation, string path, int depth) =>
        NeedsCleaning(value, limits, depth) ? Rebuild(value, limits, truncation, path, depth) : value;

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

    /// <summary>Whether <see cref="Rebuild"/> would change the value or record a truncation: a walk that allocates nothing.</summary>
    private static bool NeedsCleaning(object? value, IngestLimits limits, int depth)
    {
        switch (value)
        {
            case string s:
                return s.Length > limits.MaxValueLength;
            case JsonElement element:
                return NeedsCleaning(element, limits, depth);
            case EventObject obj:
                if (obj.TryGetParsed(out var parsed)) return NeedsCleaning(parsed, limits, depth);
                if (depth > limits.MaxDepth) return true;
                foreach (var (key, child) in obj)
                {
                    if (SafeKeys.NeedsCleaning(key, limits) || NeedsCleaning(child, limits, depth + 1)) return true;
                }
                return false;
            case EventArray array:
                if (depth > limits.MaxDepth) return true;
                foreach (var item in array)
                {
                    if (NeedsCleaning(item, limits, depth + 1)) return true;
                }
                return false;
            default:
                return false;
        }
    }

    private static bool NeedsCleaning(JsonElement element, IngestLimits limits, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                // The raw (escaped UTF-8) text is never shorter than the string in UTF-16 units: decode only when it is long.
                return JsonMarshal.GetRawUtf8Value(element).Length > limits.MaxValueLength && element.GetString()!.Length > limits.MaxValueLength;
            case JsonValueKind.Object:
                if (depth > limits.MaxDepth) return true;
                foreach (var property in element.EnumerateObject())
                {
                    if (SafeKeys.NeedsCleaning(property, limits) || NeedsCleaning(property.Value, limits, depth + 1)) return true;
                }
                return false;
            case JsonValueKind.Array:
                if (depth > limits.MaxDepth) return true;
                foreach (var item in element.EnumerateArray())
                {
                    if (NeedsCleaning(item, limits, depth + 1)) return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>The value rebuilt with the limits applied, recording each cut; parts that need no change are kept as they are.</summary>
    private static object? Rebuild(object? value, IngestLimits limits, Truncation truncation, string path, int depth)
    {
        switch (value)
        {
            case string s:
                truncation.ValueTruncated(path);
                return AnyValueConverter.Clip(s, limits.MaxValueLength);
            case JsonElement { ValueKind: JsonValueKind.String } element:
                truncation.ValueTruncated(path);
                return AnyValueConverter.Clip(element.GetString()!, limits.MaxValueLength);
            case JsonElement { ValueKind: JsonValueKind.Object or JsonValueKind.Array } or EventObject or EventArray when depth > limits.MaxDepth:
                truncation.ValueTruncated(path);
                return AnyValueConverter.Clip(EventJson.ToJsonString(value), limits.MaxValueLength);
            case JsonElement { ValueKind: JsonValueKind.Object } element:
                var fromParsed = new EventObject();
                foreach (var property in element.EnumerateObject())
                {
                    var safe = SafeKeys.Clean(property.Name, limits, truncation);
                    fromParsed[safe] = Clean(EventJson.Leaf(property.Value), limits, truncation, path + "." + safe, depth + 1);
                }
                return fromParsed;
            case EventObject obj when obj.TryGetParsed(out var parsed):
                return Rebuild(parsed, limits, truncation, path, depth);
            case EventObject obj:
                var cleaned = new EventObject(obj.Count);
                foreach (var (key, child) in obj)
                {
                    var safe = SafeKeys.Clean(key, limits, truncation);
                    cleaned[safe] = Clean(child, limits, truncation, path + "." + safe, depth + 1);
                }
                return cleaned;
            case JsonElement { ValueKind: JsonValueKind.Array } element:
                var fromArray = new EventArray();
                foreach (var item in element.EnumerateArray()) fromArray.Add(Clean(EventJson.Leaf(item), limits, truncation, path, depth + 1));
                return fromArray;
            case EventArray array:
                var items = new EventArray();
                foreach (var item in array) items.Add(Clean(item, limits, truncation, path, depth + 1));
                return items;
            default:
                return value;
        }
    }

    private static JsonValue AsText(JsonNode node, IngestLimits limits, Truncation truncation, string path)
    {
        truncation.ValueTruncated(path);
        return JsonValue.Create(AnyValueConverter.Clip(node.ToJsonString(), limits.MaxValueLength));
    }
}
