using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Publishing;

namespace HoneyHive.Ingestion.Events;

/// <summary>PostEventResponse: <c>{"success": true, "event_id": "..."}</c>.</summary>
public sealed record PostEventResponse(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("event_id")] string EventId);

/// <summary>PostEventBatchResponse: event_ids, session_id when the events share one, success.</summary>
public sealed record PostEventBatchResponse(
    [property: JsonPropertyName("event_ids")] IReadOnlyList<string> EventIds,
    [property: JsonPropertyName("session_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SessionId,
    [property: JsonPropertyName("success")] bool Success);

/// <summary>SessionTracesResponse: <c>{"success": true}</c>.</summary>
public sealed record SessionTracesResponse([property: JsonPropertyName("success")] bool Success);

/// <summary>PostSessionStartResponse: the full session event (event_id, session_id, org/workspace/project ids, buckets, times).</summary>
public static class SessionResponse
{
    public static JsonObject From(EventRecord session)
    {
        var json = (JsonObject)System.Text.Json.JsonSerializer.SerializeToNode(session, EventRecordJsonContext.Default.EventRecord)!;
        // Internal bookkeeping, not part of HoneyHive's session object.
        json.Remove("revision");
        json.Remove("session_auto_create");
        json["children_ids"] ??= new JsonArray();
        return json;
    }
}
