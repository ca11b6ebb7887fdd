using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Backpressure;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using HoneyHive.Ingestion.Quotas;
using HoneyHive.ServiceDefaults;
using HoneyHive.Platform.Messaging;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.WebUtilities;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// The event API's request pipeline, shared by every route: back-pressure → read JSON → the route's
/// mapping → the project's quota (every event counts; all or nothing, 429 problem details naming the limit) → publish (answer only after the message log acknowledged) → the route's response. A wrong
/// request is thrown as <see cref="HoneyHive.ServiceDefaults.ApiRequestException"/> and answered by the one
/// exception handler; only outages of the message log or session store are answered here, as 503 with
/// Retry-After (the client did nothing wrong and should send the same request again).
/// </summary>
public sealed class EventIngestService(
    EventNormalizer normalizer,
    SessionRegistry sessions,
    EventBatchPublisher publisher,
    IngestionBackpressure backpressure,
    IngestLimits limits,
    IngestionQuota quota,
    ILogger<EventIngestService> logger)
{
    public EventNormalizer Normalizer => normalizer;

    public IngestLimits Limits => limits;

    /// <summary>
    /// What a route produced: its events as the JSON they are published as, the session to register
    /// first (if any), and the answer (given the session as registered).
    /// </summary>
    public sealed record Outcome(EventJsonBatch Events, EventRecord? Session, Func<EventRecord?, IResult> Respond) : IDisposable
    {
        public void Dispose() => Events.Dispose();
    }

    public async Task<IResult> RunAsync(HttpContext context, Func<JsonElement, Tenant, Outcome> route)
    {
        var state = backpressure.Current;
        if (!state.Accepting) return RetryLater(context, state.LogUnavailable, state.RetryAfter, state.Reason!);
        try
        {
            var tenant = TenantOf(context.User);
            using var body = await EventRequestBody.ReadDocumentAsync(context, limits);
            using var outcome = route(body.RootElement, tenant);
            await AdmitAsync(tenant, outcome.Events.Count + (outcome.Session is null ? 0 : 1), context.RequestAborted);
            EventRecord? session = null;
            if (outcome.Session is { } incoming)
            {
                (session, _) = await sessions.StartAsync(incoming, context.RequestAborted);
                // The session goes first, in the same message as its events.
                using var events = new EventJsonBatch();
                events.Add(session);
                for (var i = 0; i < outcome.Events.Count; i++) events.Add(outcome.Events[i]);
                await publisher.PublishAsync(tenant.ProjectId, events, context.RequestAborted);
            }
            else
            {
                await publisher.PublishAsync(tenant.ProjectId, outcome.Events, context.RequestAborted);
            }
            return outcome.Respond(session);
        }
        catch (MessageLogUnavailableException ex)
        {
            logger.LogWarning("Event API publish failed, answering 503: {Reason}", ex.Message);
            return RetryLater(context, logUnavailable: true, TimeSpan.FromSeconds(5), ex.Message);
        }
        catch (SessionStateUnavailableException ex)
        {
            logger.LogWarning(ex, "Session state unavailable, answering 503");
            return RetryLater(context, logUnavailable: true, TimeSpan.FromSeconds(1), ex.Message);
        }
    }

    /// <summary>
    /// PUT /events and PUT /v1/events/{event_id}: the update is published after the events it may update
    /// (same stream), and the Writer applies it on the latest stored revision. 200 with no body, as the spec.
    /// </summary>
    public async Task<IResult> UpdateAsync(HttpContext context, string? routeEventId)
    {
        var state = backpressure.Current;
        if (!state.Accepting) return RetryLater(context, state.LogUnavailable, state.RetryAfter, state.Reason!);
        try
        {
            var tenant = TenantOf(context.User);
            var body = await EventRequestBody.ReadObjectAsync(context, limits);
            var update = normalizer.Update(body, tenant, routeEventId);
            await AdmitAsync(tenant, 1, context.RequestAborted);
            await publisher.PublishUpdateAsync(tenant.ProjectId, update, context.RequestAborted);
            return TypedResults.Ok();
        }
        catch (MessageLogUnavailableException ex)
        {
            logger.LogWarning("Event update publish failed, answering 503: {Reason}", ex.Message);
            return RetryLater(context, logUnavailable: true, TimeSpan.FromSeconds(5), ex.Message);
        }
    }

    private async Task AdmitAsync(Tenant tenant, long items, CancellationToken cancellationToken)
    {
        var decision = await quota.AdmitAsync(tenant, items, cancellationToken);
        if (!decision.Admitted)
        {
            var project = Guid.Parse(tenant.ProjectId);
            throw ApiRequestException.OverQuota(decision.Limit!, project, decision.Describe(project), TimeSpan.FromSeconds(decision.Seconds));
        }
    }

    public static Tenant TenantOf(ClaimsPrincipal user) => new(
        user.ProjectId().ToString(),
        user.FindFirstValue(ApiKeyIdentity.WorkspaceIdClaim) ?? "",
        user.FindFirstValue(ApiKeyIdentity.OrgIdClaim) ?? "");

    public static IResult Problem(int status, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: ReasonPhrases.GetReasonPhrase(status));

    private static IResult RetryLater(HttpContext context, bool logUnavailable, TimeSpan retryAfter, string reason)
    {
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problem(logUnavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status429TooManyRequests, reason + " Retry later.");
    }
}
