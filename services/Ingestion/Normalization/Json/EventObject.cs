using System.Collections;
using System.Text.Json;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// A JSON object being assembled for one event, keys in insertion order (a key set again keeps its
/// place). Values are what <see cref="EventJson"/> can write: null, string, long, double, bool, a
/// <see cref="JsonElement"/> of a parsed client value, or another object or array.
/// Leaves point at what the client sent instead of copying it; only containers are ever mutated.
/// An object made by <see cref="Over"/> stays the client's parsed object (read and written as it is)
/// until something changes it: most event API buckets are published exactly as they arrived.
/// </summary>
public sealed class EventObject : IEnumerable<KeyValuePair<string, object?>>
{
    // The entries once built or changed; until then, for an object made by Over, the parsed object (boxed,
    // so an EventObject stays as small as before for the OTLP path, which makes many of them per span).
    private object store;

    public EventObject() => store = new List<KeyValuePair<string, object?>>();

    public EventObject(int capacity) => store = new List<KeyValuePair<string, object?>>(capacity);

    private EventObject(JsonElement parsed) => store = parsed;

    /// <summary>A parsed client object, copied into entries only when it is first changed or enumerated.</summary>
    public static EventObject Over(JsonElement obj) =>
        obj.ValueKind == JsonValueKind.Object ? new EventObject(obj) : throw new ArgumentException("not a JSON object", nameof(obj));

    public int Count => store is JsonElement parsed ? parsed.GetPropertyCount() : Entries.Count;

    /// <summary>The value under the key, or null when it is absent (as for a JSON null).</summary>
    public object? this[string key]
    {
        get
        {
            if (store is JsonElement parsed) return parsed.TryGetProperty(key, out var child) ? EventJson.Leaf(child) : null;
            return IndexOf(key) is var i and >= 0 ? Entries[i].Value : null;
        }
        set
        {
            var i = IndexOf(key);
            if (i >= 0) Entries[i] = new(key, value);
            else Entries.Add(new(key, value));
        }
    }

    /// <summary>The client's object while nothing has changed it (written out as it was parsed).</summary>
    public bool TryGetParsed(out JsonElement element)
    {
        if (store is JsonElement parsed)
        {
            element = parsed;
            return true;
        }
        element = default;
        return false;
    }

    public bool ContainsKey(string key) => store is JsonElement parsed ? parsed.TryGetProperty(key, out _) : IndexOf(key) >= 0;

    public bool Remove(string key)
    {
        var i = IndexOf(key);
        if (i < 0) return false;
        Entries.RemoveAt(i);
        return true;
    }

    /// <summary>Sets the key when it is absent or null, as <c>??=</c> on a JSON object does.</summary>
    public void SetIfNull(string key, object? value)
    {
        if (this[key] is null) this[key] = value;
    }

    public void Clear() => Entries.Clear();

    public KeyValuePair<string, object?> At(int index) => Entries[index];

    public List<KeyValuePair<string, object?>>.Enumerator GetEnumerator() => Entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator() => Entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => Entries.GetEnumerator();

    private List<KeyValuePair<string, object?>> Entries => store as List<KeyValuePair<string, object?>> ?? Thaw();

    // A repeated key keeps its first place and its last value, as setting it again would.
    private List<KeyValuePair<string, object?>> Thaw()
    {
        var parsed = (JsonElement)store;
        var entries = new List<KeyValuePair<string, object?>>(parsed.GetPropertyCount());
        store = entries;
        foreach (var property in parsed.EnumerateObject()) this[property.Name] = EventJson.Leaf(property.Value);
        return entries;
    }

    // Buckets hold a handful of keys; a linear scan beats hashing every key of every span.
    private int IndexOf(string key)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Entries);
        for (var i = 0; i < span.Length; i++)
        {
            if (string.Equals(span[i].Key, key, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}

/// <summary>A JSON array being assembled for one event; items as in <see cref="EventObject"/>.</summary>
public sealed class EventArray : List<object?>
{
    public EventArray()
    {
    }

    public EventArray(IEnumerable<object?> items) : base(items)
    {
    }
}
