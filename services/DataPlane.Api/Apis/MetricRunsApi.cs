using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Running a metric on one event: <c>POST /v1/metrics/run</c> and the deprecated <c>/v1/metrics/run_metric</c>.
/// PYTHON metrics run in the Python metric service (<see cref="IPythonMetricRunner"/>: in process in single node,
/// <c>dp-python-metric</c> by Dapr service invocation when distributed); LLM metrics wait for the evaluation engine.
/// Running needs <c>metrics:write</c> (it spends the project's compute on code the caller wrote: a metric being
/// authored or tested), and scoring an event named by id needs <c>events:read</c> as well, since the metric's
/// answer can carry the event's content (without it every event id is 404, as for a caller who cannot see events).
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
        ClaimsPrincipal user, HttpRequest request, [FromServices] IPythonMetricRunner? runner, [FromServices] EventQueries events,
        [FromServices] IOptions<MetricRunOptions> options, CancellationToken cancellationToken) =>
        RunCoreAsync(strict: true, user, request, runner, events, options.Value, cancellationToken);

    /// <summary>The same run; LegacyRunMetricRequest does not refuse unknown top-level fields.</summary>
    private static Task<Ok<JsonObject>> LegacyRunAsync(
        ClaimsPrincipal user, HttpRequest request, [FromServices] IPythonMetricRunner? runner, [FromServices] EventQueries events,
        [FromServices] IOptions<MetricRunOptions> options, CancellationToken cancellationToken) =>
        RunCoreAsync(strict: false, user, request, runner, events, options.Value, cancellationToken);

    private static async Task<Ok<JsonObject>> RunCoreAsync(
        bool strict, ClaimsPrincipal user, HttpRequest request, IPythonMetricRunner? runner, EventQueries events,
        MetricRunOptions options, CancellationToken cancellationToken)
    {
        var body = await Datasets.JsonBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var errors = new FieldErrors();
        var run = MetricRunBody.Read(body, strict, errors);
        errors.ThrowIfAny();

        if (run!.Type == "LLM")
            throw new ApiRequestException(StatusCodes.Status501NotImplemented, "metric.type",
                "LLM metrics run in the evaluation engine, which is not built yet; only PYTHON metrics can be run here today.");
        if (runner is null)
            throw ApiRequestException.Unavailable("The Python metric service is not composed in this process (DataPlane.Api runs alone in Local mode); run the Host, or Dapr mode with dp-python-metric.");

        var project = user.ProjectId();
        var @event = run.Event ?? await LoadEventAsync(user, events, project, run.EventId!, cancellationToken);
        if (run.NeedsGroundTruth && run.Event is null && MetricRunBody.GroundTruth(@event) is null)
            throw ApiRequestException.BadRequest("event.feedback.ground_truth", "The metric needs ground truth (needs_ground_truth is true) and the event has none.");

        var runRequest = new PythonMetricRunRequest(project.ToString(), run.CodeKey(), run.Name, run.Criteria, run.ReturnType, run.Categories,
            MetricRunBody.FunctionArgument(@event), options.TimeoutMs);
        PythonMetricRunResult result;
        try
        {
            result = await runner.RunAsync(runRequest, cancellationToken);
        }
        catch (PythonMetricBusyException busy)
        {
            throw ApiRequestException.TooManyRequests(busy.Message, busy.RetryAfter);
        }

        if (!result.Success)
            throw ApiRequestException.Unprocessable(result.ErrorCode ?? PythonMetricErrorCodes.Execution, FailureMessage(result));
        return TypedResults.Ok(new JsonObject
        {
            ["success"] = true,
            ["loading"] = false,
            ["result"] = result.Result,
            ["explanation"] = result.Explanation,
        });
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

    /// <summary>The service's message, with the line of a compilation error when the message does not already name it.</summary>
    private static string FailureMessage(PythonMetricRunResult result)
    {
        var message = result.Message ?? "The metric failed.";
        return result.Line is { } line && !message.Contains($"line {line}", StringComparison.OrdinalIgnoreCase)
            ? $"{message} (line {line})"
            : message;
    }
}
