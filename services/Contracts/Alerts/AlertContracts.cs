using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Alerts;

/// <summary>Names of the alert model, as the control-plane spec spells them.</summary>
// The constants are the spec's own enum values; a comment on each would only repeat its name.
#pragma warning disable CS1591
public static class AlertNames
{
    public const string PerEvent = "PER_EVENT";
    public const string Aggregate = "AGGREGATE";
    public const string Drift = "DRIFT";
    public static readonly string[] Types = [Drift, Aggregate, PerEvent];

    public static readonly string[] Frequencies = ["HOURLY", "DAILY", "WEEKLY", "MONTHLY"];

    public static readonly string[] Aggregations = ["AVERAGE", "COUNT", "SUM", "MIN", "MAX", "P90", "P95", "P99", "MEDIAN"];

    public const string Active = "ACTIVE";
    public const string Triggered = "TRIGGERED";
    public const string Paused = "PAUSED";
    public const string Resolved = "RESOLVED";
    public static readonly string[] Statuses = [Active, Triggered, Paused, Resolved];

    public static readonly string[] Operators = ["greater_than", "less_than", "equal_to"];

    /// <summary>An alert's stage as the engine keeps it. OK is "nothing crossed" (or recovered).</summary>
    public const string StageOk = "OK";
    public const string StageWarning = "WARNING";
    public const string StageCritical = "CRITICAL";

    /// <summary>The notification stage of a recovery (a transition to <see cref="StageOk"/>).</summary>
    public const string StageResolution = "RESOLUTION";

    /// <summary>The length of the window a scheduled alert aggregates over, by frequency.</summary>
    public static TimeSpan Window(string frequency) => frequency switch
    {
        "HOURLY" => TimeSpan.FromHours(1),
        "DAILY" => TimeSpan.FromDays(1),
        "WEEKLY" => TimeSpan.FromDays(7),
        "MONTHLY" => TimeSpan.FromDays(30),
        _ => throw new ArgumentException($"Unknown alert frequency '{frequency}'.", nameof(frequency)),
    };
}
#pragma warning restore CS1591

/// <summary>A threshold: the value crosses it when <c>value operator threshold</c> holds.</summary>
public sealed record AlertThreshold(
    [property: JsonPropertyName("operator")] string Operator,
    [property: JsonPropertyName("value")] double Value)
{
    /// <summary>Whether <paramref name="value"/> is on the far side of this threshold.</summary>
    public bool IsCrossedBy(double value) => Operator switch
    {
        "greater_than" => value > Value,
        "less_than" => value < Value,
        "equal_to" => Math.Abs(value - Value) <= 1e-9 * Math.Max(1, Math.Abs(Value)),
        _ => false,
    };
}

/// <summary>
/// Per-stage thresholds. <see cref="Critical"/> and <see cref="Resolved"/> are the spec's; <see cref="Warning"/> is ours
/// (optional): a warning fires first and escalates to critical. Resolution needs its own threshold, which gives the
/// hysteresis: a value between the two keeps the stage it has.
/// </summary>
public sealed record AlertThresholds(
    [property: JsonPropertyName("critical")] AlertThreshold Critical,
    [property: JsonPropertyName("resolved")] AlertThreshold Resolved,
    [property: JsonPropertyName("warning")] AlertThreshold? Warning = null);

/// <summary>
/// What the DP's alert engine needs to evaluate an alert, sent by the controllers' stream as
/// <c>AlertRecord.definition_json</c>. Notification targets are not in it: they stay on the CP.
/// </summary>
/// <param name="Id">The alert.</param>
/// <param name="ProjectId">Its project: the only events it reads.</param>
/// <param name="Name">Its name, for notifications.</param>
/// <param name="AlertType">PER_EVENT, AGGREGATE or DRIFT.</param>
/// <param name="Frequency">The window a scheduled alert aggregates over (HOURLY: the last hour).</param>
/// <param name="Aggregation">AVERAGE, COUNT, SUM, MIN, MAX, MEDIAN, P90, P95 or P99.</param>
/// <param name="MinimumSampleSize">A window with fewer matching events is not judged.</param>
/// <param name="EventFilters">The spec's SingleFilter objects (field, operator, value, type), all of which must hold.</param>
/// <param name="Metric">The projected field (e.g. <c>duration</c>, <c>metrics.accuracy</c>, <c>metadata.cost</c>); COUNT needs none.</param>
/// <param name="Thresholds">Per-stage thresholds.</param>
/// <param name="Status">ACTIVE or PAUSED as the user set it (TRIGGERED / RESOLVED count as ACTIVE).</param>
/// <param name="MutedUntil">Evaluated but not notified until then (transitions are recorded as muted).</param>
/// <param name="RecoverySeconds">How long the resolved condition must hold before a resolution is sent (no flapping).</param>
/// <param name="UpdatedAt">When the definition last changed on the CP.</param>
public sealed record AlertDefinition(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("alert_type")] string AlertType,
    [property: JsonPropertyName("frequency")] string Frequency,
    [property: JsonPropertyName("aggregation")] string Aggregation,
    [property: JsonPropertyName("minimum_sample_size")] int MinimumSampleSize,
    [property: JsonPropertyName("event_filters")] JsonArray EventFilters,
    [property: JsonPropertyName("metric")] string? Metric,
    [property: JsonPropertyName("thresholds")] AlertThresholds Thresholds,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("muted_until")] DateTimeOffset? MutedUntil,
    [property: JsonPropertyName("recovery_seconds")] int RecoverySeconds,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt)
{
    /// <summary>Paused by a user: not evaluated at all.</summary>
    public bool IsPaused => Status == AlertNames.Paused;

    /// <summary>Muted at <paramref name="now"/>: evaluated, transitions recorded, nothing sent.</summary>
    public bool IsMutedAt(DateTimeOffset now) => MutedUntil is { } until && until > now;
}

/// <summary>
/// One evaluation's outcome, the spec's <c>last_result</c> / trigger <c>result</c>: the window's score, the baseline's
/// (DRIFT), the drift in percent, the sample size and the window.
/// </summary>
/// <param name="CurrentBucketScore">The aggregate over the window (PER_EVENT: the event's value).</param>
/// <param name="PreviousBucketScore">DRIFT: the aggregate over the baseline window before it.</param>
/// <param name="DriftPercentage">DRIFT: the change from the baseline in percent, the value thresholds apply to.</param>
/// <param name="SampleSize">Matching events in the window.</param>
/// <param name="WindowStart">Start of the window (inclusive).</param>
/// <param name="WindowEnd">End of the window (exclusive).</param>
/// <param name="Thresholds">The thresholds it was judged against.</param>
/// <param name="Aggregation">The aggregation used.</param>
/// <param name="EventId">PER_EVENT: the event judged.</param>
public sealed record AlertResult(
    [property: JsonPropertyName("current_bucket_score")] double? CurrentBucketScore,
    [property: JsonPropertyName("previous_bucket_score")] double? PreviousBucketScore,
    [property: JsonPropertyName("drift_percentage")] double? DriftPercentage,
    [property: JsonPropertyName("sample_size")] long SampleSize,
    [property: JsonPropertyName("window_start")] DateTimeOffset? WindowStart,
    [property: JsonPropertyName("window_end")] DateTimeOffset? WindowEnd,
    [property: JsonPropertyName("thresholds")] AlertThresholds Thresholds,
    [property: JsonPropertyName("aggregation")] string Aggregation,
    [property: JsonPropertyName("event_id")] string? EventId = null);

/// <summary>
/// The data of a CloudEvent on <see cref="Topics.NotificationsAlert"/>: an alert changed stage on a data plane. Its
/// message id is <see cref="Id"/>, derived from the transition, so a re-publish after a crash is deduplicated by the
/// log and the notification service sends each stage change once. Holds no address: the notification service looks up
/// the alert's destinations for <see cref="Stage"/> on the CP.
/// </summary>
/// <param name="TransitionId">The engine's transition (a UUID).</param>
/// <param name="AlertId">The alert.</param>
/// <param name="ProjectId">Its project.</param>
/// <param name="AlertName">Its name.</param>
/// <param name="AlertType">PER_EVENT, AGGREGATE or DRIFT.</param>
/// <param name="Stage">WARNING, CRITICAL or RESOLUTION.</param>
/// <param name="PreviousStage">OK, WARNING or CRITICAL.</param>
/// <param name="Result">The evaluation that moved it.</param>
/// <param name="OccurredAt">When the engine recorded the change.</param>
public sealed record AlertStageChanged(
    [property: JsonPropertyName("transition_id")] string TransitionId,
    [property: JsonPropertyName("alert_id")] string AlertId,
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("alert_name")] string AlertName,
    [property: JsonPropertyName("alert_type")] string AlertType,
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("previous_stage")] string PreviousStage,
    [property: JsonPropertyName("result")] AlertResult Result,
    [property: JsonPropertyName("occurred_at")] DateTimeOffset OccurredAt)
{
    /// <summary>The CloudEvent type of this notification.</summary>
    public const string EventType = "honeyhive.notifications.alert.stage_changed.v1";

    /// <summary>The message id: one notification per transition.</summary>
    [JsonIgnore]
    public string Id => $"alert-{TransitionId}";

    /// <summary>The notification stage of a move to <paramref name="to"/>.</summary>
    public static string StageOf(string to) => to == AlertNames.StageOk ? AlertNames.StageResolution : to;
}
