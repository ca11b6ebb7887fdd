using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>Helpers to place values into an event's buckets.</summary>
public static class Buckets
{
    /// <summary>
    /// Sets <paramref name="path"/> ("a.b.c", as SDKs flatten nested values) inside the bucket,
    /// creating objects on the way; the same key set twice keeps the later value.
    /// </summary>
    public static void SetPath(JsonObject bucket, string path, JsonNode? value)
    {
        if (path.Length == 0) return;
        var segments = path.Split('.');
        var node = bucket;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            if (node[segments[i]] is not JsonObject child)
            {
                child = new JsonObject();
                node[segments[i]] = child;
            }
            node = child;
        }
        node[segments[^1]] = value?.Parent is null ? value : value.DeepClone();
    }

    /// <summary>Merges an object's keys into the bucket (later keys win), or stores a non-object under <paramref name="fallbackKey"/>.</summary>
    public static void Merge(JsonObject bucket, JsonNode? value, string fallbackKey)
    {
        if (value is JsonObject obj)
        {
            foreach (var (key, item) in obj.ToList())
            {
                obj.Remove(key);
                bucket[key] = item;
            }
        }
        else if (value is not null)
        {
            bucket[fallbackKey] = value.Parent is null ? value : value.DeepClone();
        }
    }

    /// <summary>A string holding JSON becomes that JSON; anything else stays as it is.</summary>
    public static JsonNode? ParseIfJson(JsonNode? value)
    {
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text)) return value;
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '[')) return value;
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return value;
        }
    }

    /// <summary>Objects whose keys are exactly 0..n-1 (SDKs flatten lists that way) become arrays again.</summary>
    public static JsonNode? RestoreArrays(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[key];
                    obj.Remove(key);
                    obj[key] = RestoreArrays(child);
                }
                if (obj.Count == 0 || !Enumerable.Range(0, obj.Count).All(i => obj.ContainsKey(Index(i)))) return obj;
                var items = Enumerable.Range(0, obj.Count).Select(i => obj[Index(i)]).ToArray();
                obj.Clear();
                return new JsonArray(items);
            case JsonArray array:
                var restored = array.Select(RestoreArrays).ToArray();
                array.Clear();
                return new JsonArray(restored);
            default:
                return node;
        }
    }

    private static string Index(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
