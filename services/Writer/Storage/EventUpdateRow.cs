using System.Text.Json;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Writer.Storage;

/// <summary>
/// A published <see cref="HoneyHive.Contracts.Events.EventUpdate"/> with bucket values as JSON text, ready
/// to merge into the event's latest row. Keeps its message so an update whose event does not exist can
/// be dead-lettered on its own.
/// </summary>
public sealed class EventUpdateRow
{
    public required string EventId { get; init; }
    public required string ProjectId { get; init; }
    public required IncomingMessage Message { get; init; }

    /// <summary>When ingestion published it (the CloudEvent's time): orders updates of one event and bounds their wait.</summary>
    public DateTimeOffset? PublishedAt { get; init; }
    public Dictionary<string, string>? Config { get; init; }
    public Dictionary<string, string>? Feedback { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
    public Dictionary<string, string>? Metrics { get; init; }
    public Dictionary<string, string>? UserProperties { get; init; }
    public Dictionary<string, string>? Outputs { get; init; }
    public double? Duration { get; init; }
    public double? EndTime { get; init; }
    public List<string>? ChildrenIds { get; init; }

    /// <summary>Chat messages from OTLP log records, merged once each (<see cref="LogMessageMerge"/>).</summary>
    public IReadOnlyList<LogMessageRow> LogMessages { get; init; } = [];

    /// <summary>The event's next client revision: merged buckets, replaced outputs, new times and children.</summary>
    public EventRow ApplyTo(EventRow latest)
    {
        var row = latest.Clone();
        if (Metadata is not null && (Metadata.ContainsKey("prompt_tokens") || Metadata.ContainsKey("completion_tokens")))
        {
            // New token counts: totals and cost derived from the old ones are recomputed (ComputedFields)
            // unless the update sends them.
            row.Metadata.Remove("total_tokens");
            row.Metadata.Remove("cost");
        }

        Merge(row.Config, Config);
        Merge(row.Feedback, Feedback);
        Merge(row.Metadata, Metadata);
        Merge(row.Metrics, Metrics);
        Merge(row.UserProperties, UserProperties);
        if (Outputs is not null) row.Outputs = new(Outputs, StringComparer.Ordinal);
        if (ChildrenIds is { Count: > 0 }) row.ChildrenIds = [.. ChildrenIds];
        if (LogMessages.Count > 0) LogMessageMerge.Apply(row, LogMessages);
        if (EndTime is { } end)
        {
            row.EndMs = end;
            row.Duration = Duration ?? Math.Max(0, end - row.StartMs);
        }
        else if (Duration is { } duration)
        {
            row.Duration = duration;
            row.EndMs = row.StartMs + duration;
        }

        // Above every revision of the base, and above the roll-ups derived from it (base + k, k < unit).
        row.Version = checked((latest.Version / EventRow.ClientVersionUnit + 1) * EventRow.ClientVersionUnit);
        row.SessionAutoCreate = false;
        return row;
    }

    public static EventUpdateRow Read(JsonElement element, string projectId, IncomingMessage message, DateTimeOffset? publishedAt = null)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("an update is not a JSON object");
        return new EventUpdateRow
        {
            EventId = element.TryGetProperty("event_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "",
            ProjectId = projectId,
            Message = message,
            PublishedAt = publishedAt,
            Config = Bucket(element, "config"),
            Feedback = Bucket(element, "feedback"),
            Metadata = Bucket(element, "metadata"),
            Metrics = Bucket(element, "metrics"),
            UserProperties = Bucket(element, "user_properties"),
            Outputs = Bucket(element, "outputs"),
            Duration = Number(element, "duration"),
            EndTime = Number(element, "end_time"),
            ChildrenIds = element.TryGetProperty("children_ids", out var children) && children.ValueKind == JsonValueKind.Array
                ? children.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!).ToList()
                : null,
            LogMessages = element.TryGetProperty("log_messages", out var logMessages) && logMessages.ValueKind == JsonValueKind.Array
                ? logMessages.EnumerateArray().Select(LogMessageRow.Read).ToList()
                : [],
        };
    }

    private static void Merge(Dictionary<string, string> target, Dictionary<string, string>? changes)
    {
        if (changes is null) return;
        foreach (var (key, value) in changes) target[key] = value;
    }

    private static Dictionary<string, string>? Bucket(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal)
            : null;

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
