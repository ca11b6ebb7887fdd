using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Events;

/// <summary>
/// An inputs or outputs bucket too large for the events table lives in the object store; the row keeps
/// a preview of each key and this reference under <see cref="MarkerKey"/>. Readers (the data-plane API)
/// replace the preview with the stored object, so clients always get the whole value.
/// </summary>
/// <param name="Key">Object-store key of the bucket's full JSON object.</param>
/// <param name="Bytes">Size of that object in UTF-8 bytes.</param>
public sealed record PayloadReference(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("bytes")] long Bytes)
{
    /// <summary>The bucket key holding the reference (JSON text of this record).</summary>
    public const string MarkerKey = "_hh_payload_ref";

    /// <summary>Object-store folder of moved buckets.</summary>
    public const string Prefix = "payloads/";

    /// <summary>Where a bucket of one event revision is stored: stable, so a retried write overwrites itself.</summary>
    public static string KeyFor(string projectId, string eventId, ulong version, string bucket) =>
        $"{Prefix}{projectId}/{eventId}/{version}/{bucket}.json";

    /// <summary>
    /// Whether <paramref name="key"/> is a payload key of <paramref name="projectId"/>. Readers check it
    /// before loading: a client could send a bucket key that looks like a reference.
    /// </summary>
    public static bool BelongsTo(string key, string projectId)
    {
        var own = Prefix + projectId + "/";
        if (!key.StartsWith(own, StringComparison.Ordinal)) return false;
        var parts = key[own.Length..].Split('/');
        return parts.Length == 3
               && parts[0].Length is > 0 and <= 128 && parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
               && parts[1].Length > 0 && parts[1].All(char.IsAsciiDigit)
               && parts[2] is "inputs.json" or "outputs.json";
    }
}
