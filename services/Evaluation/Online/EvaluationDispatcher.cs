using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Evaluation.Online;

/// <summary>
/// Turns ingested events into evaluation tasks: for each event of a batch on <c>events.ingested</c>, every online metric of
/// its project (<see cref="OnlineMetrics"/>) whose filters match, whose sample takes the event (<see cref="Sampling"/>) and
/// whose ground truth need is met gives one <see cref="EvaluationTask"/> on <c>evaluation.requested</c>, with the task id as
/// message id: a redelivered batch queues the same tasks again and the message log stores them once. Returns (and the batch
/// is acked) only once every task is durable.
/// </summary>
public sealed class EvaluationDispatcher(
    OnlineMetrics metrics,
    IEventPublisher publisher,
    OnlineEvaluationOptions options,
    TimeProvider clock,
    ILogger<EvaluationDispatcher> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        var tasks = new List<OutgoingMessage>();
        var now = clock.GetUtcNow();
        foreach (var (projectId, messages) in ByProject(batch))
        {
            // Events carry the API key's project; only a project of the data plane (a GUID) can have metrics.
            if (!Guid.TryParse(projectId, out var project)) continue;
            var online = await metrics.ForProjectAsync(project, cancellationToken);
            // Most projects have no online metric: their events are never parsed (a JSON tree of every
            // ingested event cost the Host about a sixth of its CPU under `bench ingest`).
            if (online.Count == 0) continue;
            foreach (var @event in Read(messages))
            {
                var eventId = @event["event_id"]?.GetValue<string>();
                if (string.IsNullOrEmpty(eventId)) continue;
                var hasGroundTruth = MetricRunBody.GroundTruth(@event) is not null;
                JsonObject? inline = null;
                var sized = false;
                foreach (var metric in online)
                {
                    if (metric.NeedsGroundTruth && !hasGroundTruth) continue;
                    if (!Sampling.Sampled(eventId, metric.Id, metric.SamplingPercentage)) continue;
                    if (!EventFilterMatcher.Matches(metric.Definition["filters"], @event)) continue;
                    if (!sized)
                    {
                        // A large event stays out of the task (the message log's per-message limit): the worker reads it by id.
                        inline = Encoding.UTF8.GetByteCount(@event.ToJsonString()) <= options.MaxInlineEventBytes ? @event : null;
                        sized = true;
                    }
                    var task = new EvaluationTask(projectId, metric.Id.ToString(), metric.Version, eventId, @event["session_id"]?.GetValue<string>(), inline);
                    tasks.Add(EvaluationTaskMessages.ToMessage(task, now));
                }
            }
        }

        if (tasks.Count == 0) return;
        await publisher.PublishBatchAsync(tasks, cancellationToken);
        logger.LogDebug("Queued {Tasks} evaluation tasks from {Messages} event messages", tasks.Count, batch.Count);
    }

    /// <summary>
    /// The messages of each project, in order, read up to <c>data.project_id</c> only; a message that is not
    /// an event batch is skipped (the Writer dead-letters it).
    /// </summary>
    private Dictionary<string, List<IncomingMessage>> ByProject(IReadOnlyList<IncomingMessage> batch)
    {
        var result = new Dictionary<string, List<IncomingMessage>>(StringComparer.Ordinal);
        foreach (var message in batch)
        {
            try
            {
                if (EventEnvelope.ProjectId(message.Data.Span) is not { Length: > 0 } project) continue;
                if (!result.TryGetValue(project, out var messages)) result[project] = messages = [];
                messages.Add(message);
            }
            catch (JsonException ex)
            {
                logger.LogWarning("Message {Id} on {Topic} is not an event batch; no evaluation for it: {Error}", message.Id, message.Topic, ex.Message);
            }
        }
        return result;
    }

    /// <summary>The events of a project's messages; a message that is not an event batch is skipped.</summary>
    private List<JsonObject> Read(List<IncomingMessage> messages)
    {
        var result = new List<JsonObject>();
        foreach (var message in messages)
        {
            try
            {
                if (JsonNode.Parse(message.Data.Span)?["data"] is not JsonObject data || data["events"] is not JsonArray events) continue;
                result.AddRange(events.OfType<JsonObject>());
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                logger.LogWarning("Message {Id} on {Topic} is not an event batch; no evaluation for it: {Error}", message.Id, message.Topic, ex.Message);
            }
        }
        return result;
    }
}
