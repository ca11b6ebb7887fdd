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
}

/// <summary>What ingestion publishes on <see cref="Topics.EventsUpdated"/>: one request's update for one project.</summary>
public sealed record EventUpdateBatch(
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("updates")] IReadOnlyList<EventUpdate> Updates);
