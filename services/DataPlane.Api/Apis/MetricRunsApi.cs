using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Running a metric on one event: <c>POST /v1/metrics/run</c> and the deprecated <c>/v1/metrics/run_metric</c>.
/// Every metric type runs through the evaluation engine (<see cref="IMetricEvaluator"/>: in process in single node,
/// <c>dp-evaluation</c> by Dapr service invocation when distributed): PYTHON code in the Python metric service, LLM judges
/// through the LLM proxy with the project's keys, COMPOSITE over the project's stored metrics, HUMAN from the score on the
/// event. Running needs <c>metrics:write</c> (it spends the project's compute on code or prompts the caller wrote: a
/// metric being authored or tested), and scoring an event named by id needs <c>events:read</c> as well, since the
/// metric's answer can carry the event's content (without it every event id is 404, as for a caller who cannot see events).
/// </summary>
public static class MetricRunsApi
{
    /// <summary>Largest request body: an event of up to 1 MiB, the metric's code (at most 64 KB) and room for the rest.</summary>
    public const long MaxBodyBytes = (1 << 20) + (128 << 10);

    public static void MapMetricRunsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1/metrics");
        v1.MapPost("/run", RunAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        v1.MapPost("/run_metric", LegacyRunAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
    }

    private static Task<Ok<JsonObject>> RunAsync(
        ClaimsPrincipal user, HttpRequest request, [FromServices] IMetricEvaluator? evaluator, [FromServices] EventQueries events,
        CancellationToken cancellationToken) =>
        RunCoreAsync(strict: true, user, request, evaluator, events, cancellationToken);

    /// <summary>The same run; LegacyRunMetricRequest does not refuse unknown top-level fields.</summary>
    private static Task<Ok<JsonObject>> LegacyRunAsync(
        ClaimsPrincipal user, HttpRequest request, [FromServices] IMetricEvaluator? evaluator, [FromServices] EventQueries events,
        CancellationToken cancellationToken) =>
        RunCoreAsync(strict: false, user, request, evaluator, events, cancellationToken);

    private static async Task<Ok<JsonObject>> RunCoreAsync(
        bool strict, ClaimsPrincipal user, HttpRequest request, IMetricEvaluator? evaluator, EventQueries events, CancellationToken cancellationToken)
    {
        var body = await Datasets.JsonBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var errors = new FieldErrors();
        var run = MetricRunBody.Read(body, strict, errors);
        errors.ThrowIfAny();

        if (evaluator is null)
            throw ApiRequestException.Unavailable("The evaluation engine is not composed in this process (DataPlane.Api runs alone in Local mode); run the Host, or Dapr mode with dp-evaluation.");

        var project = user.ProjectId();
        var @event = run!.Event ?? await LoadEventAsync(user, events, project, run.EventId!, cancellationToken);
        if (run.NeedsGroundTruth && run.Event is null && MetricRunBody.GroundTruth(@event) is null)
            throw ApiRequestException.BadRequest("event.feedback.ground_truth", "The metric needs ground truth (needs_ground_truth is true) and the event has none.");

        EvaluationResult result;
        try
        {
            result = await evaluator.EvaluateAsync(new EvaluationRequest(project.ToString(), run.Definition!, null, null, @event), cancellationToken);
        }
        catch (EvaluatorBusyException busy)
        {
            throw ApiRequestException.TooManyRequests(busy.Message, busy.RetryAfter);
        }

        if (!result.Success)
        {
            // Deficient before any compute ran: the spec's 400. Everything else was dispatched and failed: 422 with its code.
            if (result.ErrorCode == EvaluationErrorCodes.MissingGroundTruth)
                throw ApiRequestException.BadRequest("event.feedback.ground_truth", result.Message ?? "The event has no ground truth.");
            throw ApiRequestException.Unprocessable(result.ErrorCode ?? PythonMetricErrorCodes.Execution, result.Message ?? "The metric failed.");
        }
        var answer = new JsonObject
        {
            ["success"] = true,
            ["loading"] = false,
            ["result"] = result.Value?.DeepClone(),
            ["explanation"] = result.Explanation,
        };
        if (result.Passed is { } passed) answer["passed"] = passed;
        return TypedResults.Ok(answer);
    }

    /// <summary>One of the caller's project's events, or 404 (absent, deleted, or another project's: not told apart).</summary>
    private static async Task<JsonObject> LoadEventAsync(ClaimsPrincipal user, EventQueries events, Guid project, string eventId, CancellationToken cancellationToken)
    {
        // A caller who may not read the project's events sees none of them: the same 404 as an absent event.
        var found = user.Has(Permissions.EventsRead) ? await events.GetAsync(project, eventId, cancellationToken) : null;
        if (found is null) throw ApiRequestException.NotFound("event.event_id", "Event not found in this project.");
        var errors = new FieldErrors();
        MetricRunBody.CheckEventFields(found, "event.", errors);
        errors.ThrowIfAny();
        return found;
    }
}
