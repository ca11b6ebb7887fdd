using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.Evaluation.Scores;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.Evaluation.Queues;

/// <summary>Who scores: a member (by user id) or a project API key.</summary>
public sealed record Annotator(string Id, Guid? UserId)
{
    public static Annotator Of(ClaimsPrincipal user)
    {
        if (Guid.TryParse(user.FindFirstValue(AccessTokenPrincipal.UserIdClaim), out var member)) return new Annotator(member.ToString(), member);
        // A key is no member: its scores count, under a name that cannot be taken for a user id.
        return new Annotator("key:" + (user.FindFirstValue(ApiKeyIdentity.KeyIdClaim) ?? "unknown"), null);
    }
}

/// <summary>
/// A queue's work: materializing the events its filters find, scoring items (stored per annotator, published on the event
/// as the annotators' combined value), progress and the agreement of an automatic judge with the people.
/// </summary>
public sealed class AnnotationService(QueueStore store, QueueEvents events, MetricStore metrics, ScorePublisher publisher)
{
    /// <summary>Puts the project's events matching an enabled queue's filters into it (those already in keep their place).</summary>
    public async Task SyncAsync(Guid project, StoredQueue queue, CancellationToken cancellationToken)
    {
        if (!queue.Enabled || queue.Filters.Count == 0) return;
        var matches = await events.MatchingAsync(project, QueueDefinition.ToEventFilters(queue.Filters), QueueLimits.MaxItems, cancellationToken);
        await store.AddFilterMatchesAsync(project, queue.Id, matches, cancellationToken);
    }

    /// <summary>The HUMAN metric of the project named <paramref name="name"/>, or a 400 naming <paramref name="field"/>.</summary>
    public async Task<JsonObject> HumanMetricAsync(Guid project, string? name, string field, CancellationToken cancellationToken)
    {
        var metric = await MetricAsync(project, name, field, cancellationToken);
        if (metric["type"]?.GetValue<string>() != "HUMAN")
            throw ApiRequestException.BadRequest(field, $"'{name}' is not a HUMAN metric: only HUMAN metrics are scored in queues.");
        return metric;
    }

    /// <summary>The deployed definition of the project's metric <paramref name="name"/>, or a 400 naming <paramref name="field"/>.</summary>
    public async Task<JsonObject> MetricAsync(Guid project, string? name, string field, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name)) throw ApiRequestException.BadRequest(field, "Required: a metric name.");
        var all = await metrics.ListAsync(project, null, null, ListLimit.Max, cancellationToken);
        return all.FirstOrDefault(m => m.Content["name"]?.GetValue<string>() == name)?.Content
               ?? throw ApiRequestException.BadRequest(field, $"The project has no metric named '{name}'.");
    }

    /// <summary>
    /// Stores the annotator's score of an item and publishes the item's combined score on the event (<c>metrics.&lt;name&gt;</c>,
    /// the comment as <c>&lt;name&gt;_explanation</c>). Null when the queue does not hold the event.
    /// </summary>
    public async Task<(AnnotationScore Score, JsonNode? EventValue)?> ScoreAsync(
        Guid project, StoredQueue queue, string eventId, JsonObject metric, JsonNode value, string? comment, Annotator annotator,
        CancellationToken cancellationToken)
    {
        if (!await store.HoldsAsync(project, queue.Id, eventId, cancellationToken))
        {
            // An event the filters find but no read has brought in yet is an item all the same.
            if (!queue.Enabled || queue.Filters.Count == 0
                || !await events.MatchesAsync(project, eventId, QueueDefinition.ToEventFilters(queue.Filters), cancellationToken))
                return null;
            await store.AddFilterMatchesAsync(project, queue.Id, [eventId], cancellationToken);
            if (!await store.HoldsAsync(project, queue.Id, eventId, cancellationToken)) return null;
        }

        var name = metric["name"]!.GetValue<string>();
        var score = await store.SaveScoreAsync(project, queue.Id, eventId, name, annotator.Id, annotator.UserId, value, comment, cancellationToken);
        var all = await store.EventScoresAsync(project, eventId, name, cancellationToken);
        var combined = HumanScores.Combine(metric["return_type"]?.GetValue<string>() ?? "float", [.. all.Select(s => s.Value)]);
        var explanation = all.LastOrDefault(s => s.Comment is not null)?.Comment;
        // The newest revision names this state of the item's scores: a retried publish of it is one message, a later change another.
        var origin = $"annotation-r{all.Max(s => s.Revision)}";
        await publisher.PublishAsync(project.ToString(), new Score(eventId, name, combined, explanation, origin), cancellationToken);
        return (score, combined);
    }

    /// <summary>The combined human value of each item of the queue scored for <paramref name="metricName"/>.</summary>
    public async Task<IReadOnlyDictionary<string, JsonNode>> HumanValuesAsync(Guid project, Guid queueId, string metricName, string returnType, CancellationToken cancellationToken)
    {
        var scores = await store.ScoresAsync(project, queueId, null, metricName, cancellationToken);
        return scores.GroupBy(s => s.EventId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => HumanScores.Combine(returnType, [.. g.OrderBy(s => s.Revision).Select(s => s.Value)])!, StringComparer.Ordinal);
    }

    /// <summary>Agreement of <paramref name="judge"/>'s scores on the events with the people's scores of <paramref name="human"/>.</summary>
    public async Task<AgreementResult> AgreementAsync(Guid project, Guid queueId, JsonObject human, string judge, CancellationToken cancellationToken)
    {
        var returnType = human["return_type"]?.GetValue<string>() ?? "float";
        var humans = await HumanValuesAsync(project, queueId, human["name"]!.GetValue<string>(), returnType, cancellationToken);
        var judged = await events.MetricAsync(project, humans.Keys.ToList(), judge, cancellationToken);
        var pairs = humans.Where(h => judged.TryGetValue(h.Key, out var j) && j is not null).Select(h => (h.Value, judged[h.Key]!)).ToList();
        return Agreement.Compute(returnType, pairs);
    }
}
