using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// Keys from clients end up as JSON object keys that browsers and JS SDKs read. Keys that would
/// reach an object's prototype there are renamed, and so is the Writer's own reference key for moved
/// payloads (a client must not point a bucket at a stored object); over-long keys are cut and flagged.
/// </summary>
public static class SafeKeys
{
    private static readonly HashSet<string> PrototypeKeys = new(StringComparer.Ordinal)
    {
        "__proto__", "constructor", "prototype", HoneyHive.Contracts.Events.PayloadReference.MarkerKey,
    };

    private static readonly byte[][] PrototypeKeysUtf8 = PrototypeKeys.Select(key => Encoding.UTF8.GetBytes(key)).ToArray();

    public static string Clean(string key, IngestLimits limits, Truncation truncation)
    {
        if (key.Length > limits.MaxKeyLength)
        {
            truncation.ValueTruncated(AnyValueConverter.Clip(key, 64) + "…");
            key = AnyValueConverter.Clip(key, limits.MaxKeyLength);
        }
        return PrototypeKeys.Contains(key) ? "_" + key : key;
    }

    /// <summary>Whether <see cref="Clean"/> would change the key.</summary>
    public static bool NeedsCleaning(string key, IngestLimits limits) => key.Length > limits.MaxKeyLength || PrototypeKeys.Contains(key);

    /// <summary>Whether <see cref="Clean"/> would change a parsed property's name, read without making it a string.</summary>
    public static bool NeedsCleaning(JsonProperty property, IngestLimits limits)
    {
        // The raw (escaped UTF-8) name is never shorter than the name in UTF-16 units: decode only when it is long.
        if (JsonMarshal.GetRawUtf8PropertyName(property).Length > limits.MaxKeyLength && property.Name.Length > limits.MaxKeyLength) return true;
        foreach (var key in PrototypeKeysUtf8)
        {
            if (property.NameEquals(key)) return true;
        }
        return false;
    }
}
