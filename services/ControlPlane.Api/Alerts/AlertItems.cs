using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HoneyHive.Contracts.Alerts;

namespace HoneyHive.ControlPlane.Api.Alerts;

/// <summary>An <c>alerts</c> row as Dapper reads it (jsonb as text).</summary>
public sealed class AlertRow
{
    public Guid Id { get; init; }
    public Guid ProjectId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public string Status { get; init; } = "";
    public string Frequency { get; init; } = "";
    public int MinimumSampleSize { get; init; }
    public string AlertType { get; init; } = "";
    public string Aggregation { get; init; } = "";
    public string EventFilters { get; init; } = "[]";
    public string EventMetrics { get; init; } = "[]";
    public string Thresholds { get; init; } = "{}";
    public string NotificationDetails { get; init; } = "{}";
    public DateTime? MutedUntil { get; init; }
    public int RecoverySeconds { get; init; }
    public Guid? CreatedBy { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public DateTime? LastRunAt { get; init; }
    public string? LastResult { get; init; }
    public string? TriggerError { get; init; }
    public string Stage { get; init; } = AlertNames.StageOk;
    public Guid? LastTriggerId { get; init; }
    public DateTime? LastTriggered { get; init; }

    public const string Columns =
        """
        id, project_id AS ProjectId, name, description, status, frequency, minimum_sample_size AS MinimumSampleSize,
        alert_type AS AlertType, aggregation, event_filters::text AS EventFilters, event_metrics::text AS EventMetrics,
        thresholds::text AS Thresholds, notification_details::text AS NotificationDetails, muted_until AS MutedUntil,
        recovery_seconds AS RecoverySeconds, created_by AS CreatedBy, created_at AS CreatedAt, updated_at AS UpdatedAt,
        last_run_at AS LastRunAt, last_result::text AS LastResult, trigger_error AS TriggerError, stage,
        last_trigger_id AS LastTriggerId, last_triggered AS LastTriggered
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public AlertThresholds ThresholdsValue => JsonSerializer.Deserialize<AlertThresholds>(Thresholds, Json)!;

    public JsonArray FiltersValue => (JsonArray)JsonNode.Parse(EventFilters)!;

    public IReadOnlyList<string> Projections =>
        [.. ((JsonArray)JsonNode.Parse(EventMetrics)!).Select(m => m!["projection"]!.GetValue<string>())];

    public JsonObject Details => (JsonObject)JsonNode.Parse(NotificationDetails)!;

    /// <summary>The body of a request that would make this alert (with sealed secrets in place), for an update to merge over.</summary>
    public JsonObject AsRequest() => new()
    {
        ["name"] = Name,
        ["description"] = Description,
        ["frequency"] = Frequency,
        ["minimum_sample_size"] = MinimumSampleSize,
        ["alert_type"] = AlertType,
        ["aggregation"] = Aggregation,
        ["thresholds"] = JsonNode.Parse(Thresholds),
        ["filters"] = JsonNode.Parse(EventFilters),
        ["projections"] = new JsonArray([.. Projections.Select(p => (JsonNode)p)]),
        ["status"] = Status,
        ["muted_until"] = MutedUntil is { } until ? new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)).ToString("O") : null,
        ["recovery_seconds"] = RecoverySeconds,
    };
}

/// <summary>An <c>alert_triggers</c> row as Dapper reads it.</summary>
public sealed class AlertTriggerRow
{
    public Guid Id { get; init; }
    public Guid AlertId { get; init; }
    public string FromStage { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Result { get; init; } = "{}";
    public bool Muted { get; init; }
    public bool NotificationSent { get; init; }
    public DateTime TriggeredTime { get; init; }
    public DateTime? ResolvedTime { get; init; }
    public Guid? ResolvedBy { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public const string Columns =
        """
        id, alert_id AS AlertId, from_stage AS FromStage, stage, result::text AS Result, muted,
        EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.message_id = 'alert-' || alert_triggers.id::text AND d.status = 'sent') AS NotificationSent,
        triggered_time AS TriggeredTime, resolved_time AS ResolvedTime, resolved_by AS ResolvedBy, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;
}

/// <summary>The spec's AlertItem, and our <c>muted_until</c>, <c>recovery_seconds</c> and <c>stage</c>.</summary>
public sealed record AlertItem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("frequency")] string Frequency,
    [property: JsonPropertyName("minimum_sample_size")] int MinimumSampleSize,
    [property: JsonPropertyName("alert_type")] string AlertType,
    [property: JsonPropertyName("aggregation")] string Aggregation,
    [property: JsonPropertyName("event_filters")] JsonArray EventFilters,
    [property: JsonPropertyName("event_metrics")] JsonArray EventMetrics,
    [property: JsonPropertyName("thresholds")] AlertThresholds Thresholds,
    [property: JsonPropertyName("last_run_at")] DateTime? LastRunAt,
    [property: JsonPropertyName("last_result")] JsonNode? LastResult,
    [property: JsonPropertyName("trigger_error")] string? TriggerError,
    [property: JsonPropertyName("is_active")] bool IsActive,
    [property: JsonPropertyName("is_muted")] bool IsMuted,
    [property: JsonPropertyName("muted_until")] DateTime? MutedUntil,
    [property: JsonPropertyName("recovery_seconds")] int RecoverySeconds,
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt,
    [property: JsonPropertyName("last_trigger_id")] string? LastTriggerId,
    [property: JsonPropertyName("last_triggered")] DateTime? LastTriggered,
    [property: JsonPropertyName("scope_type")] string ScopeType,
    [property: JsonPropertyName("scope_id")] string ScopeId,
    [property: JsonPropertyName("created_by")] string? CreatedBy,
    [property: JsonPropertyName("notifications")] IReadOnlyList<AlertNotificationItem> Notifications,
    [property: JsonPropertyName("last_trigger"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AlertTriggerItem? LastTrigger = null,
    [property: JsonPropertyName("triggers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AlertTriggerItem>? Triggers = null)
{
    public static AlertItem Of(AlertRow row, DateTimeOffset now, IReadOnlyList<AlertTriggerItem>? triggers = null) => new(
        row.Id.ToString(), row.Name, row.Description, row.Status, row.Frequency, row.MinimumSampleSize, row.AlertType, row.Aggregation,
        new JsonArray([.. row.FiltersValue.Select(f => (JsonNode)new JsonObject { ["filter"] = f!.DeepClone(), ["type"] = FieldType(f!["type"]!.GetValue<string>()) })]),
        new JsonArray([.. row.Projections.Select(p => (JsonNode)new JsonObject { ["projection"] = p, ["type"] = "float" })]),
        row.ThresholdsValue, row.LastRunAt, row.LastResult is null ? null : JsonNode.Parse(row.LastResult), row.TriggerError,
        row.Status != AlertNames.Paused, row.MutedUntil is { } until && new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) > now,
        row.MutedUntil, row.RecoverySeconds, row.Stage, row.CreatedAt, row.UpdatedAt, row.LastTriggerId?.ToString(), row.LastTriggered,
        "project", row.ProjectId.ToString(), row.CreatedBy?.ToString(), AlertNotificationItem.Of(row),
        triggers is [var last, ..] ? last : null, triggers);

    /// <summary>The spec's AlertEventFilter.type for a SingleFilter.type.</summary>
    private static string FieldType(string filterType) => filterType switch
    {
        "number" => "numeric",
        "boolean" => "boolean",
        _ => "string",
    };
}

/// <summary>The spec's AlertNotification: one stage's destination, its URL shown, a webhook secret only as "set".</summary>
public sealed record AlertNotificationItem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("alert_id")] string AlertId,
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("membership_id")] string? MembershipId,
    [property: JsonPropertyName("user_ids")] IReadOnlyList<string> UserIds,
    [property: JsonPropertyName("metadata")] JsonObject Metadata,
    [property: JsonPropertyName("last_sent_at")] DateTime? LastSentAt,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt)
{
    public static IReadOnlyList<AlertNotificationItem> Of(AlertRow row)
    {
        var details = row.Details;
        var items = new List<AlertNotificationItem>();
        foreach (var (key, stage) in new[] { ("warning", AlertNames.StageWarning), ("critical", AlertNames.StageCritical), ("resolved", AlertNames.StageResolution) })
        {
            if (details[key] is not JsonObject destination) continue;
            var metadata = (JsonObject)destination["metadata"]!.DeepClone();
            if (metadata.Remove("secret_sealed")) metadata["secret_set"] = true;
            var userIds = destination["user_ids"] is JsonArray ids ? ids.Select(i => i!.GetValue<string>()).ToList() : [];
            items.Add(new AlertNotificationItem($"{row.Id}:{key}", row.Id.ToString(), stage, destination["channel"]!.GetValue<string>(),
                destination["scope"]!.GetValue<string>(), userIds.Count == 1 ? userIds[0] : null, userIds, metadata, null, row.CreatedAt));
        }
        return items;
    }
}

/// <summary>The spec's AlertTrigger, with the stage it moved to (WARNING, CRITICAL or RESOLUTION).</summary>
public sealed record AlertTriggerItem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("alert_id")] string AlertId,
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("from_stage")] string FromStage,
    [property: JsonPropertyName("result")] JsonNode? Result,
    [property: JsonPropertyName("muted")] bool Muted,
    [property: JsonPropertyName("notification_sent")] bool NotificationSent,
    [property: JsonPropertyName("triggered_time")] DateTime TriggeredTime,
    [property: JsonPropertyName("resolved_time")] DateTime? ResolvedTime,
    [property: JsonPropertyName("resolved_by")] string? ResolvedBy,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt)
{
    public static AlertTriggerItem Of(AlertTriggerRow row) => new(
        row.Id.ToString(), row.AlertId.ToString(), row.Stage, row.FromStage, JsonNode.Parse(row.Result), row.Muted, row.NotificationSent,
        row.TriggeredTime, row.ResolvedTime, row.ResolvedBy?.ToString(), row.CreatedAt, row.UpdatedAt);
}

/// <summary>The spec's Pagination.</summary>
public sealed record Pagination(
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("total_unfiltered")] long TotalUnfiltered,
    [property: JsonPropertyName("total_pages")] long TotalPages,
    [property: JsonPropertyName("has_next")] bool HasNext,
    [property: JsonPropertyName("has_prev")] bool HasPrev);

/// <summary>The spec's paginated response: <c>{success, data, pagination}</c>.</summary>
public sealed record PaginatedEnvelope<T>(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("data")] IReadOnlyList<T> Data,
    [property: JsonPropertyName("pagination")] Pagination Pagination);
