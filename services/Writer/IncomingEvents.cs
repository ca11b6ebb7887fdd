using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Messaging;
using HoneyHive.Writer.Enrichment;
using HoneyHive.Writer.Storage;

namespace HoneyHive.Writer;

/// <summary>A message's events as rows (or its updates of stored events), or why they could not be read.</summary>
public sealed record ParsedMessage(IncomingMessage Message, IReadOnlyList<EventRow> Events, DateTimeOffset? PublishedAt, string? Error)
{
    public IReadOnlyList<EventUpdateRow> Updates { get; init; } = [];
}

/// <summary>
/// Reads what ingestion publishes (EventBatchPublisher): a CloudEvent whose <c>data</c> is an
/// <see cref="EventBatch"/>, straight into <see cref="EventRow"/>s: bucket values keep their JSON text as
/// it arrived, so no JSON tree is built per event. A message that does not parse is reported, not
/// thrown: retrying cannot fix it.
/// </summary>
public static class IncomingEvents
{
    /// <summary>
    /// A batch's messages parsed and their events enriched: the Writer's work that reads no stored state
    /// (computed fields come from the event itself and the price table), so it may run while the previous
    /// batch is written.
    /// </summary>
    public static List<ParsedMessage> ParseAndEnrich(IReadOnlyList<IncomingMessage> batch, ComputedFields computed)
    {
        var parsed = batch.Select(Parse).ToList();
        foreach (var message in parsed)
        {
            foreach (var row in message.Events) computed.Apply(row);
        }

        return parsed;
    }

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
            if (data.ValueKind != JsonValueKind.Object) return new(message, [], time, "data is not an event batch");
            // The batch's project is the API key's; an event never names another one.
            var project = data.TryGetProperty("project_id", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            if (data.TryGetProperty("updates", out var updates) && updates.ValueKind == JsonValueKind.Array)
            {
                if (project.Length == 0) return new(message, [], time, "an update batch lacks project_id");
                var parsedUpdates = updates.EnumerateArray().Select(u => EventUpdateRow.Read(u, project, message, time)).ToList();
                if (parsedUpdates.Any(u => u.EventId.Length == 0)) return new(message, [], time, "an update lacks event_id");
                return new(message, [], time, null) { Updates = parsedUpdates };
            }

            if (!data.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
                return new(message, [], time, "data is not an event batch");
            var rows = new List<EventRow>(events.GetArrayLength());
            foreach (var element in events.EnumerateArray())
            {
                var row = EventRowReader.Read(element, project);
                if (row.EventId.Length == 0 || row.SessionId.Length == 0 || row.EventType.Length == 0)
                    return new(message, [], time, "an event lacks event_id, session_id or event_type");
                rows.Add(row);
            }

            return new(message, rows, time, null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            return new(message, [], null, ex.Message);
        }
    }
}
