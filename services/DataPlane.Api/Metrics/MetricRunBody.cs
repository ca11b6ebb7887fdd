using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using static HoneyHive.DataPlane.Api.Infrastructure.JsonBody;

namespace HoneyHive.DataPlane.Api.Metrics;

/// <summary>
/// The body of <c>POST /v1/metrics/run</c> (RunMetricRequest) and of the legacy <c>/v1/metrics/run_metric</c>
/// (LegacyRunMetricRequest), checked field by field: an inline metric definition and the event to score,
/// given whole or named by <c>event_id</c>.
/// </summary>
public sealed record MetricRunBody(
    string Name,
    string Type,
    string Criteria,
    string ReturnType,
    IReadOnlyList<string>? Categories,
    bool NeedsGroundTruth,
    JsonObject? Event,
    string? EventId,
    JsonObject? Definition = null)
{
    /// <summary>Largest <c>metric.criteria</c> in UTF-8 bytes: the code-size limit of the Python metric service.</summary>
    public const int MaxCriteriaBytes = 64 * 1024;

    /// <summary>
    /// The metric types a run may name: the spec's RunMetricRequest lists PYTHON and LLM; COMPOSITE (children among the
    /// project's stored metrics) and HUMAN (the score already on the event) run too, so every type of a stored metric can
    /// be tried on one event before it is deployed.
    /// </summary>
    public static readonly string[] RunnableTypes = MetricDefinition.Types;

    /// <summary>The event fields a metric function receives, each a JSON object (empty when the event has none).</summary>
    public static readonly string[] EventFields = ["inputs", "outputs", "feedback", "metadata", "config", "metrics", "user_properties"];

    private static readonly HashSet<string> TopFields = new(StringComparer.Ordinal) { "metric", "event" };

    /// <summary>Checks the body; every fault is recorded under its JSON path (<c>metric.criteria</c>, <c>event.inputs</c>).</summary>
    /// <param name="strict">RunMetricRequest refuses top-level fields other than metric and event; the legacy body does not.</param>
    public static MetricRunBody? Read(JsonObject body, bool strict, FieldErrors errors)
    {
        if (strict) RejectUnknown(body, TopFields, errors);
        var metric = Object(body, "metric", "metric", errors);
        if (metric is null && body["metric"] is null) errors.Add("metric", "Required: the metric to run (name, type, criteria).");
        var @event = Object(body, "event", "event", errors);
        if (@event is null && body["event"] is null) errors.Add("event", "Required: the event to score, or {\"event_id\": ...} naming one of the project's events.");
        if (metric is null || @event is null) return null;

        RejectUnknown(metric, MetricDefinition.Fields, errors, "metric.");
        var type = OneOf(metric, "type", "metric.type", RunnableTypes, errors, required: true);
        // Until the type is one a run takes, the rest of the definition has no rules to be checked against.
        if (type is null) return null;
        // The rest of the definition is checked as a stored metric's would be: the same fields, the same rules.
        var normalized = MetricDefinition.Normalize(metric, errors.Under("metric."));
        var name = normalized["name"]?.GetValue<string>();
        var criteria = normalized["criteria"]?.GetValue<string>();
        if (criteria is not null && Encoding.UTF8.GetByteCount(criteria) > MaxCriteriaBytes)
            errors.Add("metric.criteria", type == "PYTHON"
                ? $"The metric's code is larger than {MaxCriteriaBytes / 1024} KB, the code-size limit of Python metrics."
                : $"The metric's criteria is larger than {MaxCriteriaBytes / 1024} KB, the limit of a run.");
        var returnType = normalized["return_type"]?.GetValue<string>() ?? "float";
        var categories = normalized["categories"] is JsonArray list
            ? list.Select(c => c?["category"]?.GetValue<string>() ?? "").ToList()
            : null;
        var needsGroundTruth = normalized["needs_ground_truth"]?.GetValue<bool>() ?? false;

        var eventId = String(@event, "event_id", "event.event_id", errors, maxLength: 200, nonBlank: true);
        var named = eventId is not null && !EventFields.Any(@event.ContainsKey);
        if (!named) CheckEventFields(@event, "event.", errors);
        if (!named && needsGroundTruth && GroundTruth(@event) is null)
            errors.Add("event.feedback.ground_truth", "Required: the metric needs ground truth (needs_ground_truth is true) and the event has none.");
        return errors.Any ? null : new MetricRunBody(name!, type, criteria!, returnType, categories, needsGroundTruth, named ? null : @event, named ? eventId : null, normalized);
    }

    /// <summary>Each event field the function receives must be an object (or absent, or null).</summary>
    public static void CheckEventFields(JsonObject @event, string prefix, FieldErrors errors)
    {
        foreach (var field in EventFields)
            if (Kind(@event[field]) is not (JsonValueKind.Object or JsonValueKind.Null))
                errors.Add(prefix + field, "Must be a JSON object.");
    }

    /// <summary><c>feedback.ground_truth</c>, else a top-level <c>ground_truth</c>; null when the event has neither.</summary>
    public static JsonNode? GroundTruth(JsonObject @event) =>
        @event["feedback"]?["ground_truth"] ?? @event["ground_truth"];

    /// <summary>
    /// The dict the metric function receives, built by moving (not copying) the fields out of <paramref name="source"/>,
    /// which the caller owns and no longer reads: the fields in <see cref="EventFields"/>, and ground_truth when there is one.
    /// </summary>
    public static JsonObject FunctionArgument(JsonObject source)
    {
        var result = new JsonObject();
        foreach (var field in EventFields)
        {
            source.Remove(field, out var value);
            result[field] = value as JsonObject ?? new JsonObject();
        }
        // Readable as feedback.ground_truth (where the SDK puts it) and as ground_truth (a datapoint's name for it).
        var groundTruth = result["feedback"]!["ground_truth"]?.DeepClone() ?? (source.Remove("ground_truth", out var top) ? top : null);
        if (groundTruth is not null) result["ground_truth"] = groundTruth;
        return result;
    }

    /// <summary>
    /// The compiled-code cache key of an inline metric: SHA-256 over its return type, name and source, length-prefixed
    /// so no two different triples hash the same input.
    /// </summary>
    public string CodeKey()
    {
        var text = $"{ReturnType.Length}:{ReturnType}{Name.Length}:{Name}{Criteria.Length}:{Criteria}";
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "inline:" + Convert.ToHexStringLower(hash);
    }
}
