using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// A span's attributes as event values (<see cref="EventJson"/>). Mappers take the keys they understand; whatever is left at
/// the end lands in metadata, so nothing a client sent is dropped.
/// </summary>
public sealed class SpanAttributes
{
    private readonly Dictionary<string, object?> values = new(StringComparer.Ordinal);

    public static SpanAttributes From(RepeatedField<KeyValue> attributes, IngestLimits limits, Truncation truncation)
    {
        var result = new SpanAttributes();
        foreach (var kv in attributes)
        {
            var key = SafeKeys.Clean(kv.Key, limits, truncation);
            // OTLP requires unique keys; when a client repeats one, the last value wins.
            if (!result.values.ContainsKey(key) && result.values.Count >= limits.MaxAttributesPerSpan)
            {
                truncation.DroppedAttributes++;
                continue;
            }
            result.values[key] = AnyValueConverter.ToJson(kv.Value, limits, truncation, key);
        }
        return result;
    }

    public int Count => values.Count;

    public bool Has(string key) => values.ContainsKey(key);

    public string? PeekString(string key) => values.TryGetValue(key, out var value) ? AsString(value) : null;

    public bool HasPrefix(string prefix) => values.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));

    public bool TryTake(string key, out object? value)
    {
        if (values.Remove(key, out value)) return true;
        value = null;
        return false;
    }

    public object? Take(string key) => TryTake(key, out var value) ? value : null;

    public string? TakeString(string key) => TryTake(key, out var value) ? AsString(value) : null;

    /// <summary>The first of several alternative keys that is present; all of them are consumed.</summary>
    public string? TakeFirstString(params string[] keys)
    {
        string? found = null;
        foreach (var key in keys)
        {
            var value = TakeString(key);
            found ??= string.IsNullOrEmpty(value) ? null : value;
        }
        return found;
    }

    public double? TakeNumber(string key) => TryTake(key, out var value) ? AsNumber(value) : null;

    public bool? TakeBool(string key)
    {
        if (!TryTake(key, out var value) || value is null) return null;
        if (value is bool b) return b;
        return bool.TryParse(AsString(value), out var parsed) ? parsed : null;
    }

    /// <summary>Takes every key under <paramref name="prefix"/>, returning the rest of each key.</summary>
    public List<(string Suffix, object? Value)> TakePrefix(string prefix)
    {
        // Called for every convention's prefixes on every span: allocate only when something matches.
        List<(string, object?)>? taken = null;
        foreach (var (key, value) in values)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) (taken ??= []).Add((key[prefix.Length..], value));
        }
        if (taken is null) return NoneTaken;
        foreach (var (suffix, _) in taken) values.Remove(prefix + suffix);
        return taken;
    }

    private static readonly List<(string Suffix, object? Value)> NoneTaken = [];

    public IEnumerable<KeyValuePair<string, object?>> Remaining => values;

    public static string? AsString(object? value) => EventJson.AsString(value);

    public static double? AsNumber(object? value) => EventJson.AsNumber(value);
}
