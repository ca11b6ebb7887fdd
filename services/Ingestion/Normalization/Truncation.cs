using System.Text.Json.Nodes;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// What normalization had to cut, recorded on the event's metadata so a user sees that a value is
/// incomplete instead of silently getting less than they sent.
/// </summary>
public sealed class Truncation
{
    private List<string>? truncatedKeys;

    public int DroppedAttributes { get; set; }

    public void ValueTruncated(string key)
    {
        truncatedKeys ??= [];
        if (truncatedKeys.Count < 100) truncatedKeys.Add(key);
    }

    public void WriteTo(JsonObject metadata)
    {
        if (truncatedKeys is { Count: > 0 })
        {
            metadata["truncated"] = true;
            metadata["truncated_attributes"] = new JsonArray(truncatedKeys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());
        }
        if (DroppedAttributes > 0)
        {
            metadata["truncated"] = true;
            metadata["dropped_attributes_count"] = DroppedAttributes;
        }
    }

    public void WriteTo(EventObject metadata)
    {
        if (truncatedKeys is { Count: > 0 })
        {
            metadata["truncated"] = EventJson.Box(true);
            metadata["truncated_attributes"] = new EventArray(truncatedKeys);
        }
        if (DroppedAttributes > 0)
        {
            metadata["truncated"] = EventJson.Box(true);
            metadata["dropped_attributes_count"] = (long)DroppedAttributes;
        }
    }
}
