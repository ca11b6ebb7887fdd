using System.Collections;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// A JSON object being assembled for one event, keys in insertion order (a key set again keeps its
/// place). Values are what <see cref="EventJson"/> can write: null, string, long, double, bool, a
/// <see cref="System.Text.Json.JsonElement"/> of a parsed client value, or another object or array.
/// Leaves point at what the client sent instead of copying it; only containers are ever mutated.
/// </summary>
public sealed class EventObject : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> entries;

    public EventObject() => entries = [];

    public EventObject(int capacity) => entries = new List<KeyValuePair<string, object?>>(capacity);

    public int Count => entries.Count;

    /// <summary>The value under the key, or null when it is absent (as for a JSON null).</summary>
    public object? this[string key]
    {
        get => IndexOf(key) is var i and >= 0 ? entries[i].Value : null;
        set
        {
            var i = IndexOf(key);
            if (i >= 0) entries[i] = new(key, value);
            else entries.Add(new(key, value));
        }
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool Remove(string key)
    {
        var i = IndexOf(key);
        if (i < 0) return false;
        entries.RemoveAt(i);
        return true;
    }

    /// <summary>Sets the key when it is absent or null, as <c>??=</c> on a JSON object does.</summary>
    public void SetIfNull(string key, object? value)
    {
        if (this[key] is null) this[key] = value;
    }

    public void Clear() => entries.Clear();

    public KeyValuePair<string, object?> At(int index) => entries[index];

    public List<KeyValuePair<string, object?>>.Enumerator GetEnumerator() => entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => entries.GetEnumerator();

    // Buckets hold a handful of keys; a linear scan beats hashing every key of every span.
    private int IndexOf(string key)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries);
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
