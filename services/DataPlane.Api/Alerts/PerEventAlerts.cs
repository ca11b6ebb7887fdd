using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Alerts;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>
/// Judges PER_EVENT alerts as events arrive, on a durable consumer of <c>events.ingested</c> (as the online evaluation
/// dispatcher does): every event of a project with such alerts that passes an alert's filters (in memory, with the
/// search's semantics: <see cref="EventFilterMatcher"/>) is judged on its metric; the value is the metric at that path
/// (an event without a numeric value there is not judged), or 1 for COUNT or an alert without a metric (the event itself
/// is what is counted). An alert's events of one delivery are judged in order in one evaluation (one dpdb transaction).
/// Returns, and the delivery is acked, only once every evaluation is recorded. A redelivery after a crash judges the events
/// again: a change an event causes has an id derived from the alert, the event and the stages, so it is recorded (and
/// notified) once however often the event is judged.
/// </summary>
public sealed class PerEventAlerts(AlertDefinitionCache definitions, AlertRecorder recorder, ILogger<PerEventAlerts> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        var byAlert = new Dictionary<Guid, List<AlertJudgement>>();
        foreach (var message in batch)
        {
            if (ProjectOf(message) is not { } project) continue;
            var alerts = await definitions.ForProjectAsync(project, cancellationToken);
            // Most projects have no PER_EVENT alert: their events are never parsed.
            if (alerts.Count == 0) continue;
            foreach (var @event in Events(message))
            {
                foreach (var alert in alerts)
                {
                    if (!EventFilterMatcher.Matches(alert.EventFilters, @event)) continue;
                    if (Value(alert, @event) is not { } value) continue;
                    var eventId = @event["event_id"]?.GetValue<string>();
                    var at = Time(@event);
                    var result = new AlertResult(value, null, null, 1, at, at, alert.Thresholds, alert.Aggregation, eventId);
                    if (!byAlert.TryGetValue(Guid.Parse(alert.Id), out var judgements)) byAlert[Guid.Parse(alert.Id)] = judgements = [];
                    judgements.Add(new AlertJudgement(result, value, Source: eventId));
                }
            }
        }

        foreach (var (alertId, judgements) in byAlert)
        {
            var transitions = await recorder.EvaluateAsync(alertId, null, (_, _) => Task.FromResult<IReadOnlyList<AlertJudgement>>(judgements), cancellationToken);
            foreach (var t in transitions ?? [])
                logger.LogInformation("Alert {AlertId} moved {From} to {To} on event {EventId}{Muted}", alertId, t.From, t.To, t.Result.EventId, t.Muted ? " (muted)" : "");
        }
    }

    /// <summary>The value an event gives the alert, or null when it has none.</summary>
    public static double? Value(AlertDefinition alert, JsonObject @event)
    {
        if (alert.Aggregation == "COUNT" || string.IsNullOrEmpty(alert.Metric)) return 1;
        var node = EventFilterMatcher.Resolve(@event, alert.Metric);
        return node?.GetValueKind() switch
        {
            JsonValueKind.Number => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            JsonValueKind.String when double.TryParse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) => n,
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => null,
        };
    }

    private static DateTimeOffset? Time(JsonObject @event) =>
        @event["start_time"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? DateTimeOffset.UnixEpoch.AddMilliseconds(double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture))
            : null;

    private Guid? ProjectOf(IncomingMessage message)
    {
        try
        {
            // Events of projects without alerts are skipped without building their documents.
            return Guid.TryParse(EventEnvelope.ProjectId(message.Data.Span), out var project) ? project : null;
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Message {Id} on {Topic} is not an event batch; no alert judges it: {Error}", message.Id, message.Topic, ex.Message);
            return null;
        }
    }

    private List<JsonObject> Events(IncomingMessage message)
    {
        try
        {
            return JsonNode.Parse(message.Data.Span)?["data"]?["events"] is JsonArray events ? [.. events.OfType<JsonObject>()] : [];
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            logger.LogWarning("Message {Id} on {Topic} is not an event batch; no alert judges it: {Error}", message.Id, message.Topic, ex.Message);
            return [];
        }
    }
}
