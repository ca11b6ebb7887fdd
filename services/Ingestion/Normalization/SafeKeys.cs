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

    public static string Clean(string key, IngestLimits limits, Truncation truncation)
    {
        if (key.Length > limits.MaxKeyLength)
        {
            truncation.ValueTruncated(AnyValueConverter.Clip(key, 64) + "…");
            key = AnyValueConverter.Clip(key, limits.MaxKeyLength);
        }
        return PrototypeKeys.Contains(key) ? "_" + key : key;
    }
}
