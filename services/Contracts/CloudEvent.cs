using System.Text.Json.Serialization;

namespace HoneyHive.Contracts;

/// <summary>
/// CloudEvents 1.0 JSON envelope: the wire format of every message in both hosting modes.
/// The id is deterministic (derived from the payload's identity) so a retried publish is deduplicated.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed record CloudEvent<T>(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] T Data)
{
    /// <summary>Always "1.0".</summary>
    [JsonPropertyName("specversion")]
    public string SpecVersion { get; init; } = "1.0";

    /// <summary>Always application/json.</summary>
    [JsonPropertyName("datacontenttype")]
    public string DataContentType { get; init; } = "application/json";

    /// <summary>Topic the event was published on.</summary>
    [JsonPropertyName("topic")]
    public string? Topic { get; init; }

    /// <summary>Creation time.</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset? Time { get; init; }
}
