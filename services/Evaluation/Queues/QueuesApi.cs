using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using DatasetBody = HoneyHive.DataPlane.Api.Datasets.JsonBody;
using FieldBody = HoneyHive.DataPlane.Api.Infrastructure.JsonBody;

namespace HoneyHive.Evaluation.Queues;

/// <summary>
/// Annotation queues (data-plane spec <c>/v1/queues</c>) and their work, beyond the spec: items, scores, progress and
/// agreement. Scoped by the caller's project, so another project's queue answers 404 like an unknown one. Reading needs
/// <c>events:read</c>; changing a queue and scoring its items (the work of members and of write keys) <c>events:write</c>.
/// </summary>
public static class QueuesApi
{
    private const long MaxBodyBytes = 1 << 20;

    public static RouteGroupBuilder MapQueuesApi(this IEndpointRouteBuilder app)
    {
        var queues = app.MapGroup("/v1/queues");
        queues.MapGet("", ListAsync).RequirePermission(Permissions.EventsRead);
        queues.MapPost("", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.EventsWrite);
        queues.MapGet("/{queue_id}", GetAsync).RequirePermission(Permissions.EventsRead);
        queues.MapPut("/{queue_id}", UpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.EventsWrite);
        queues.MapDelete("/{queue_id}", DeleteAsync).RequirePermission(Permissions.EventsWrite);
        queues.MapGet("/{queue_id}/items", ItemsAsync).RequirePermission(Permissions.EventsRead);
        queues.MapPost("/{queue_id}/items/{event_id}/scores", ScoreAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.EventsWrite);
        queues.MapGet("/{queue_id}/progress", ProgressAsync).RequirePermission(Permissions.EventsRead);
        queues.MapGet("/{queue_id}/agreement", AgreementAsync).RequirePermission(Permissions.EventsRead);
        return queues;
    }

    private static async Task<Ok<JsonObject>> ListAsync(ClaimsPrincipal user, QueueStore store, string? enabled, string? limit, CancellationToken cancellationToken)
    {
        bool? only = enabled switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => throw ApiRequestException.BadRequest("enabled", "Must be true or false."),
        };
        var queues = await store.ListAsync(user.ProjectId(), only, ListLimit.Resolve(limit), cancellationToken);
        return TypedResults.Ok(new JsonObject { ["queues"] = new JsonArray([.. queues.Select(q => (JsonNode)QueueViews.Queue(q))]) });
    }

    private static async Task<Created<JsonObject>> CreateAsync(
        ClaimsPrincipal user, QueueStore store, QueueEvents events, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await DatasetBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var errors = new FieldErrors();
        var input = QueueDefinition.Create(body, errors);
        errors.ThrowIfAny();
        var project = user.ProjectId();
        QueueEvents.Check(project, QueueDefinition.ToEventFilters(input.Filters!));
        await RequireEventsAsync(project, events, input.AddEventIds, "event_ids", cancellationToken);
        var queue = await store.CreateAsync(project, input, cancellationToken);
        return TypedResults.Created($"/v1/queues/{queue.Id}", new JsonObject { ["queue"] = QueueViews.Queue(queue), ["message"] = "Queue created." });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetAsync(
        ClaimsPrincipal user, QueueStore store, [FromRoute(Name = "queue_id")] string queueId, CancellationToken cancellationToken)
    {
        var queue = await FindAsync(user, store, queueId, cancellationToken);
        return queue is null ? ApiResults.NotFound("Queue") : TypedResults.Ok(QueueViews.Queue(queue));
    }

    /// <summary>Only the fields sent change; the body is checked before the queue is looked up, event ids against the events.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateAsync(
        ClaimsPrincipal user, QueueStore store, QueueEvents events, [FromRoute(Name = "queue_id")] string queueId, HttpRequest request,
        CancellationToken cancellationToken)
    {
        var body = await DatasetBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var errors = new FieldErrors();
        var input = QueueDefinition.Update(body, queueId, errors);
        errors.ThrowIfAny();
        var project = user.ProjectId();
        if (!Guid.TryParse(queueId, out var id) || await store.GetAsync(project, id, cancellationToken) is null) return ApiResults.NotFound("Queue");
        if (input.Filters is { } filters) QueueEvents.Check(project, QueueDefinition.ToEventFilters(filters));
        await RequireEventsAsync(project, events, input.AddEventIds, "add_event_ids", cancellationToken);
        var queue = await store.UpdateAsync(project, id, input, cancellationToken);
        return queue is null
            ? ApiResults.NotFound("Queue")
            : TypedResults.Ok(new JsonObject { ["queue"] = QueueViews.Queue(queue), ["message"] = "Queue updated." });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        ClaimsPrincipal user, QueueStore store, [FromRoute(Name = "queue_id")] string queueId, CancellationToken cancellationToken) =>
        Guid.TryParse(queueId, out var id) && await store.DeleteAsync(user.ProjectId(), id, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["message"] = "Queue deleted." })
            : ApiResults.NotFound("Queue");

    /// <summary>
    /// A page of items in queue order (<c>cursor</c> is the last position of the previous page), each with its event, status,
    /// assignee and scores; <c>assignee</c> (a user id, or <c>me</c>) and <c>status</c> (pending, scored) narrow it.
    /// </summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> ItemsAsync(
        ClaimsPrincipal user, QueueStore store, QueueEvents events, AnnotationService annotations, [FromRoute(Name = "queue_id")] string queueId,
        string? limit, string? cursor, string? assignee, string? status, CancellationToken cancellationToken)
    {
        var size = QueueLimits.MaxPage;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > QueueLimits.MaxPage))
            throw ApiRequestException.BadRequest("limit", $"Must be a whole number between 1 and {QueueLimits.MaxPage}.");
        long after = 0;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
            throw ApiRequestException.BadRequest("cursor", "Must be the next_cursor of a previous page.");
        if (status is not (null or "pending" or "scored")) throw ApiRequestException.BadRequest("status", "Must be pending or scored.");
        var who = Assignee(user, assignee);
        var queue = await FindAsync(user, store, queueId, cancellationToken);
        if (queue is null) return ApiResults.NotFound("Queue");

        var project = user.ProjectId();
        await annotations.SyncAsync(project, queue, cancellationToken);
        var items = await store.ItemsAsync(project, queue.Id, who, status, after, size, cancellationToken);
        var ids = items.Select(i => i.EventId).ToList();
        var loaded = await events.LoadAsync(project, ids, cancellationToken);
        var scores = (await store.ScoresAsync(project, queue.Id, ids, null, cancellationToken)).ToLookup(s => s.EventId, StringComparer.Ordinal);
        var page = new JsonArray([.. items.Select(i => (JsonNode)QueueViews.Item(i, loaded.GetValueOrDefault(i.EventId), scores[i.EventId]))]);
        return TypedResults.Ok(new JsonObject
        {
            ["items"] = page,
            ["next_cursor"] = items.Count == size ? items[^1].Position.ToString(CultureInfo.InvariantCulture) : null,
        });
    }

    /// <summary>
    /// <c>{metric, value, comment}</c>: the caller's score of one item for a HUMAN metric of the project, the value checked
    /// against the metric's return type, scale and categories. Answers the stored score and the value the event now shows.
    /// </summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> ScoreAsync(
        ClaimsPrincipal user, QueueStore store, AnnotationService annotations, [FromRoute(Name = "queue_id")] string queueId,
        [FromRoute(Name = "event_id")] string eventId, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await DatasetBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var errors = new FieldErrors();
        var name = FieldBody.String(body, "metric", "metric", errors, required: true, maxLength: 200, nonBlank: true);
        var comment = FieldBody.String(body, "comment", "comment", errors, maxLength: QueueLimits.MaxComment);
        if (!body.ContainsKey("value")) errors.Add("value", "Required.");
        errors.ThrowIfAny();

        var queue = await FindAsync(user, store, queueId, cancellationToken);
        if (queue is null) return ApiResults.NotFound("Queue");
        var project = user.ProjectId();
        var metric = await annotations.HumanMetricAsync(project, name, "metric", cancellationToken);
        var value = HumanScores.Check(metric, body["value"], errors);
        errors.ThrowIfAny();

        var result = await annotations.ScoreAsync(project, queue, eventId, metric, value!, comment, Annotator.Of(user), cancellationToken);
        if (result is not { } scored) return ApiResults.NotFound("Queue item");
        return TypedResults.Ok(new JsonObject { ["score"] = QueueViews.Score(scored.Score), ["event_value"] = scored.EventValue?.DeepClone() });
    }

    /// <summary>How far the queue is: items, scored items, per assignee and per metric.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> ProgressAsync(
        ClaimsPrincipal user, QueueStore store, AnnotationService annotations, [FromRoute(Name = "queue_id")] string queueId, CancellationToken cancellationToken)
    {
        var queue = await FindAsync(user, store, queueId, cancellationToken);
        if (queue is null) return ApiResults.NotFound("Queue");
        var project = user.ProjectId();
        await annotations.SyncAsync(project, queue, cancellationToken);
        var (total, scored, byAssignee) = await store.ProgressAsync(project, queue.Id, cancellationToken);
        var byMetric = await store.MetricProgressAsync(project, queue.Id, cancellationToken);
        return TypedResults.Ok(new JsonObject
        {
            ["total"] = total,
            ["scored"] = scored,
            ["pending"] = total - scored,
            ["by_assignee"] = new JsonArray([.. byAssignee.Select(a => (JsonNode)new JsonObject
            {
                ["assignee"] = a.Assignee?.ToString(), ["total"] = a.Total, ["scored"] = a.Scored,
            })]),
            ["by_metric"] = new JsonArray([.. byMetric.Select(m => (JsonNode)new JsonObject
            {
                ["metric"] = m.Metric, ["scored_items"] = m.Items, ["scores"] = m.Scores,
            })]),
        });
    }

    /// <summary>
    /// <c>?metric=&lt;HUMAN metric&gt;&amp;judge=&lt;automatic metric&gt;</c>: over the queue's items the people scored, the judge's value
    /// read from the event (<c>metrics.&lt;judge&gt;</c>) against the people's combined value.
    /// </summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> AgreementAsync(
        ClaimsPrincipal user, QueueStore store, AnnotationService annotations, [FromRoute(Name = "queue_id")] string queueId,
        string? metric, string? judge, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(metric)) throw ApiRequestException.BadRequest("metric", "Required: the HUMAN metric to compare.");
        if (string.IsNullOrWhiteSpace(judge)) throw ApiRequestException.BadRequest("judge", "Required: the automatic metric (an LLM judge) to compare.");
        var queue = await FindAsync(user, store, queueId, cancellationToken);
        if (queue is null) return ApiResults.NotFound("Queue");
        var project = user.ProjectId();
        var human = await annotations.HumanMetricAsync(project, metric, "metric", cancellationToken);
        var judgeMetric = await annotations.MetricAsync(project, judge, "judge", cancellationToken);
        if (judgeMetric["type"]?.GetValue<string>() == "HUMAN")
            throw ApiRequestException.BadRequest("judge", $"'{judge}' is a HUMAN metric: the judge is an automatic one (LLM, PYTHON or COMPOSITE).");
        var result = await annotations.AgreementAsync(project, queue.Id, human, judge, cancellationToken);
        return TypedResults.Ok(new JsonObject
        {
            ["metric"] = metric,
            ["judge"] = judge,
            ["return_type"] = human["return_type"]?.DeepClone(),
            ["n"] = result.N,
            ["exact_agreement"] = result.ExactAgreement,
            ["cohens_kappa"] = result.CohensKappa,
            ["mean_absolute_error"] = result.MeanAbsoluteError,
            ["pearson"] = result.Pearson,
        });
    }

    private static async Task<StoredQueue?> FindAsync(ClaimsPrincipal user, QueueStore store, string queueId, CancellationToken cancellationToken) =>
        Guid.TryParse(queueId, out var id) ? await store.GetAsync(user.ProjectId(), id, cancellationToken) : null;

    /// <summary><c>me</c> is the calling member; a key is no member, so it names a user id instead.</summary>
    private static Guid? Assignee(ClaimsPrincipal user, string? assignee)
    {
        if (assignee is null) return null;
        if (assignee == "me")
            return Annotator.Of(user).UserId ?? throw ApiRequestException.BadRequest("assignee", "'me' needs a member's access token; an API key names a user id.");
        return Guid.TryParse(assignee, out var id) ? id : throw ApiRequestException.BadRequest("assignee", "Must be a user id or 'me'.");
    }

    /// <summary>Every event id must be a current event of the caller's project; another project's is refused like a missing one.</summary>
    private static async Task RequireEventsAsync(Guid project, QueueEvents events, IReadOnlyList<string> ids, string field, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        var existing = await events.ExistingAsync(project, ids, cancellationToken);
        var errors = new FieldErrors();
        for (var i = 0; i < ids.Count; i++)
            if (!existing.Contains(ids[i])) errors.Add($"{field}[{i}]", "No event with this id in the project.");
        errors.ThrowIfAny();
    }
}
