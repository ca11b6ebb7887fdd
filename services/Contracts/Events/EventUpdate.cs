using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Events;

/// <summary>
/// A client's update of a stored event (HoneyHive's PUT /events): config, feedback, metadata, metrics and
/// user_properties are merged key by key, outputs replaced (null keeps them), duration, end_time and a
/// non-empty children_ids set. The Writer applies it on the event's latest revision as a new revision.
/// </summary>
public sealed class EventUpdate
{
    /// <summary>The event to update (normalized like the create's id, so non-UUID client ids match).</summary>
    [JsonPropertyName("event_id")] public required string EventId { get; init; }

    /// <summary>Config keys merged in.</summary>
    [JsonPropertyName("config")] public JsonObject? Config { get; init; }

    /// <summary>Feedback keys merged in.</summary>
    [JsonPropertyName("feedback")] public JsonObject? Feedback { get; init; }

    /// <summary>Metadata keys merged in.</summary>
    [JsonPropertyName("metadata")] public JsonObject? Metadata { get; init; }

    /// <summary>Metric values merged in.</summary>
    [JsonPropertyName("metrics")] public JsonObject? Metrics { get; init; }

    /// <summary>User properties merged in.</summary>
    [JsonPropertyName("user_properties")] public JsonObject? UserProperties { get; init; }

    /// <summary>Replaces the outputs when present.</summary>
    [JsonPropertyName("outputs")] public JsonObject? Outputs { get; init; }

    /// <summary>Milliseconds.</summary>
    [JsonPropertyName("duration")] public double? Duration { get; init; }

    /// <summary>Unix milliseconds.</summary>
    [JsonPropertyName("end_time")] public double? EndTime { get; init; }

    /// <summary>Child ids to set (only when non-empty).</summary>
    [JsonPropertyName("children_ids")] public List<string>? ChildrenIds { get; init; }

    /// <summary>
    /// Chat messages from OTLP log records (GenAI events) to merge into the event: each is added once (by
    /// <see cref="LogMessage.Key"/>) at its place in order, whichever order the records arrive in.
    /// </summary>
    [JsonPropertyName("log_messages")] public List<LogMessage>? LogMessages { get; init; }
}

/// <summary>
/// One chat message an OTLP log record (a GenAI event) contributes to its span's event, with what places it
/// among the others. The Writer keeps the keys it merged (metadata <c>gen_ai_log_records</c>), so a record
/// sent twice (a retried export) or redelivered is merged once.
/// </summary>
public sealed class LogMessage
{
    /// <summary><see cref="ChatHistory"/> (inputs.chat_history) or <see cref="Choice"/> (outputs).</summary>
    public const string ChatHistory = "chat_history", Choice = "choice";

    /// <summary>Stable id of the record (and of the message's place in it): a hash of the record's bytes.</summary>
    [JsonPropertyName("key")] public required string Key { get; init; }

    /// <summary><see cref="ChatHistory"/> or <see cref="Choice"/>.</summary>
    [JsonPropertyName("target")] public required string Target { get; init; }

    /// <summary>Orders messages: the record's time (Unix nanoseconds), then <see cref="Sequence"/>; choices by <see cref="Index"/> first.</summary>
    [JsonPropertyName("time")] public ulong Time { get; init; }

    /// <summary>The record's position in its request (and the message's in the record), for records with one time.</summary>
    [JsonPropertyName("seq")] public int Sequence { get; init; }

    /// <summary>A choice's index (gen_ai.choice's <c>index</c>).</summary>
    [JsonPropertyName("index")] public int? Index { get; init; }

    /// <summary>The message in HoneyHive's shape: role, content, tool_calls, tool_call_id, finish_reason.</summary>
    [JsonPropertyName("message")] public required JsonObject Message { get; init; }

    /// <summary>
    /// The record as an event of its own (a child of the span), stored instead when the span never arrives
    /// within the Writer's wait limit, so no record is lost. Only on the first message of a record.
    /// </summary>
    [JsonPropertyName("orphan_event")] public JsonObject? OrphanEvent { get; init; }
}

/// <summary>What ingestion publishes on <see cref="Topics.EventsUpdated"/>: one request's update for one project.</summary>
public sealed record EventUpdateBatch(
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("updates")] IReadOnlyList<EventUpdate> Updates);
