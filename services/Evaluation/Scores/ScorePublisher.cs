using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Evaluation.Scores;

/// <summary>One score to store on an event: <c>metrics.&lt;name&gt;</c>, and <c>metrics.&lt;name&gt;_explanation</c> when there is one.</summary>
/// <param name="EventId">The scored event.</param>
/// <param name="MetricName">The metric's name: the key under <c>metrics</c>.</param>
/// <param name="Value">The score (number, boolean or string as the return type says).</param>
/// <param name="Explanation">Why, as the evaluator said it; null when it said nothing.</param>
/// <param name="Origin">What produced the score (an online task id, a workflow activity, a queue item): the same origin
/// publishes the same message id, so a retried publish is one message.</param>
public sealed record Score(string EventId, string MetricName, JsonNode? Value, string? Explanation, string Origin);

/// <summary>
/// Publishes scores on <see cref="Topics.EventsScored"/> (events-stream) as event updates, which the Writer merges key
/// by key into the event's latest revision and its session's roll-ups. Setting a metric key is idempotent, and the
/// message id is derived from the score's origin, so at-least-once delivery never counts a score twice.
/// </summary>
public sealed class ScorePublisher(IEventPublisher publisher, TimeProvider clock)
{
    public const string Source = "/honeyhive/evaluation";
    public const string EventType = "honeyhive.events.scored.v1";

    public Task PublishAsync(string projectId, Score score, CancellationToken cancellationToken) =>
        PublishAsync(projectId, [score], cancellationToken);

    /// <summary>Publishes every score (one message per score) and returns once all are durable.</summary>
    public async Task PublishAsync(string projectId, IReadOnlyList<Score> scores, CancellationToken cancellationToken)
    {
        if (scores.Count == 0) return;
        var messages = new List<OutgoingMessage>(scores.Count);
        foreach (var score in scores)
        {
            var metrics = new JsonObject { [score.MetricName] = score.Value?.DeepClone() };
            if (score.Explanation is not null) metrics[score.MetricName + "_explanation"] = score.Explanation;
            var update = new EventUpdate { EventId = score.EventId, Metrics = metrics };
            var id = "score-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{projectId}\n{score.EventId}\n{score.MetricName}\n{score.Origin}")));
            var data = JsonSerializer.SerializeToElement(new EventUpdateBatch(projectId, [update]));
            var envelope = new CloudEvent<JsonElement>(id, Source, EventType, data) { Topic = Topics.EventsScored, Time = clock.GetUtcNow() };
            messages.Add(new OutgoingMessage(Topics.EventsScored, id, JsonSerializer.SerializeToUtf8Bytes(envelope)));
        }
        await publisher.PublishBatchAsync(messages, cancellationToken);
    }
}
