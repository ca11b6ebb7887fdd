using System.Globalization;
using System.Text.Json;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>Helpers to place values into an event's buckets.</summary>
public static class Buckets
{
    /// <summary>
    /// Sets <paramref name="path"/> ("a.b.c", as SDKs flatten nested values) inside the bucket,
    /// creating objects on the way; the same key set twice keeps the later value.
    /// </summary>
    public static void SetPath(EventObject bucket, string path, object? value)
    {
        if (path.Length == 0) return;
        var node = bucket;
        var start = 0;
        for (var dot = path.IndexOf('.', start); dot >= 0; dot = path.IndexOf('.', start))
        {
            var segment = path[start..dot];
            if (EventJson.AsMutableObject(node[segment]) is not { } child)
            {
                child = new EventObject();
            }
            node[segment] = child;
            node = child;
            start = dot + 1;
        }
        node[path[start..]] = value;
    }

    /// <summary>Merges an object's keys into the bucket (later keys win), or stores a non-object under <paramref name="fallbackKey"/>.</summary>
    public static void Merge(EventObject bucket, object? value, string fallbackKey)
    {
        if (EventJson.IsObject(value))
        {
            foreach (var (key, item) in EventJson.Properties(value)) bucket[key] = item;
        }
        else if (value is not null)
        {
            bucket[fallbackKey] = value;
        }
    }

    /// <summary>A string holding JSON becomes that JSON; anything else stays as it is.</summary>
    public static object? ParseIfJson(object? value, SpanEvent owner)
    {
        if (value is not string text) return value;
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '[')) return value;
        return owner.TryParse(text, out var root) ? root : value;
    }

    /// <summary>Objects whose keys are exactly 0..n-1 (SDKs flatten lists that way) become arrays again.</summary>
    public static object? RestoreArrays(object? value)
    {
        switch (value)
        {
            case EventObject obj:
                for (var i = 0; i < obj.Count; i++)
                {
                    var (key, child) = obj.At(i);
                    obj[key] = RestoreArrays(child);
                }
                if (obj.Count == 0) return obj;
                for (var i = 0; i < obj.Count; i++)
                {
                    if (!obj.ContainsKey(Index(i))) return obj;
                }
                var items = new EventArray();
                for (var i = 0; i < obj.Count; i++) items.Add(obj[Index(i)]);
                return items;
            case EventArray array:
                for (var i = 0; i < array.Count; i++) array[i] = RestoreArrays(array[i]);
                return array;
            case JsonElement element when HasIndexedObject(element):
                // Parsed JSON is read-only; only the rare value holding an index-keyed object is rebuilt.
                return RestoreArrays(EventJson.Thaw(element, deep: true));
            default:
                return value;
        }
    }

    private static bool HasIndexedObject(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                var indexed = true;
                foreach (var property in element.EnumerateObject())
                {
                    if (HasIndexedObject(property.Value)) return true;
                    count++;
                    indexed &= int.TryParse(property.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && Index(index) == property.Name;
                }
                // Keys that are all canonical indexes and as many as there are keys cover 0..n-1 unless one repeats or is out of range.
                return count > 0 && indexed && IsIndexRange(element, count);
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (HasIndexedObject(item)) return true;
                }
                return false;
            default:
                return false;
        }
    }

    private static bool IsIndexRange(JsonElement element, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!element.TryGetProperty(Index(i), out _)) return false;
        }
        return true;
    }

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}
