using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Writer;

/// <summary>A message's events, or why they could not be read.</summary>
public sealed record ParsedMessage(IncomingMessage Message, IReadOnlyList<EventRecord> Events, DateTimeOffset? PublishedAt, string? Error);

/// <summary>
/// Reads what ingestion publishes (EventBatchPublisher): a CloudEvent whose <c>data</c> is an
/// <see cref="EventBatch"/>. A message that does not parse is reported, not thrown: retrying cannot fix it.
/// </summary>
public static class IncomingEvents
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public static ParsedMessage Parse(IncomingMessage message)
    {
        try
        {
            using var document = JsonDocument.Parse(message.Data);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data))
                return new(message, [], null, "not a CloudEvent with data");
            DateTimeOffset? time = root.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.String && t.TryGetDateTimeOffset(out var parsed)
                ? parsed
                : null;
            var batch = data.Deserialize<EventBatch>(Options);
            if (batch?.Events is null) return new(message, [], time, "data is not an event batch");
            foreach (var record in batch.Events)
            {
                // The batch's project is the API key's; an event never names another one.
                if (string.IsNullOrEmpty(record.ProjectId)) record.ProjectId = batch.ProjectId;
                if (string.IsNullOrEmpty(record.EventId) || string.IsNullOrEmpty(record.SessionId) || string.IsNullOrEmpty(record.EventType))
                    return new(message, [], time, "an event lacks event_id, session_id or event_type");
            }

            return new(message, batch.Events, time, null);
        }
        catch (JsonException ex)
        {
            return new(message, [], null, ex.Message);
        }
    }
}
