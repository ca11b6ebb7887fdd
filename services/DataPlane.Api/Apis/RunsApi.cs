using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Experiment runs (data-plane spec "Experiments"): CRUD in dpdb, summaries, metrics, comparisons and
/// schemas from the run's events in ClickHouse. The SDK 1.0.42 calls the legacy paths without /v1
/// (/runs, /runs/{id}, /runs/{id}/result, /runs/{a}/compare-with/{b}); those are served too. Every
/// read is scoped by the key's project, so another project's run answers 404.
/// </summary>
public static class RunsApi
{
    public static void MapRunsApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1/runs", "/runs" })
        {
            app.MapPost(prefix, CreateAsync).RequirePermission(Permissions.ExperimentsWrite);
            app.MapGet(prefix, ListAsync).RequirePermission(Permissions.ExperimentsRead);
            app.MapGet(prefix + "/{run_id}", GetAsync).RequirePermission(Permissions.ExperimentsRead);
            app.MapPut(prefix + "/{run_id}", UpdateAsync).RequirePermission(Permissions.ExperimentsWrite);
            app.MapDelete(prefix + "/{run_id}", DeleteAsync).RequirePermission(Permissions.ExperimentsWrite);
            app.MapGet(prefix + "/{run_id}/result", SummaryAsync).RequirePermission(Permissions.ExperimentsRead);
            app.MapGet(prefix + "/{new_run_id}/compare-with/{old_run_id}", CompareAsync).RequirePermission(Permissions.ExperimentsRead);
        }

        app.MapGet("/v1/runs/schema", ProjectSchemaAsync).RequirePermission(Permissions.ExperimentsRead);
        app.MapGet("/v1/runs/compare/events", LegacyCompareEventsAsync).RequirePermission(Permissions.ExperimentsRead);
        app.MapGet("/v1/runs/{run_id}/summary", SummaryAsync).RequirePermission(Permissions.ExperimentsRead);
        app.MapGet("/v1/runs/{run_id}/metrics", MetricsAsync).RequirePermission(Permissions.ExperimentsRead);
        app.MapGet("/v1/runs/{run_id}/schema", RunSchemaAsync).RequirePermission(Permissions.ExperimentsRead);
        app.MapGet("/v1/runs/{new_run_id}/compare/{old_run_id}", CompareAsync).RequirePermission(Permissions.ExperimentsRead);
        app.MapGet("/v1/runs/{new_run_id}/compare/{old_run_id}/events", CompareEventsAsync).RequirePermission(Permissions.ExperimentsRead);
    }

    private static async Task<IResult> CreateAsync(
        [FromBody] JsonNode? body, ClaimsPrincipal user, RunStore runs, RunsOptions options, CancellationToken cancellationToken)
    {
        var changes = RunRequests.Parse(body, create: true, options.MaxIds);
        var run = await runs.CreateAsync(user.ProjectId(), changes, cancellationToken);
        if (run is null)
            return TypedResults.Conflict(new ProblemDetails { Title = "A run with this run_id exists", Status = StatusCodes.Status409Conflict });
        return TypedResults.Ok(new JsonObject { ["evaluation"] = run.ToJson(), ["run_id"] = run.Id.ToString() });
    }

    private static async Task<IResult> ListAsync(
        HttpRequest request, ClaimsPrincipal user, RunStore runs, RunEvents events, RunsOptions options, CancellationToken cancellationToken)
    {
        var query = RunQueryString.List(request.Query, options.ListMaxLimit);
        var page = await runs.ListAsync(user.ProjectId(), query, cancellationToken);
        var metricNames = await events.MetricNamesAsync(user.ProjectId(), page.Runs, cancellationToken);
        var totalPages = (page.Total + query.Limit - 1) / query.Limit;
        return TypedResults.Ok(new JsonObject
        {
            ["evaluations"] = new JsonArray([.. page.Runs.Select(r => (JsonNode?)r.ToJson())]),
            ["pagination"] = new JsonObject
            {
                ["page"] = query.Page,
                ["limit"] = query.Limit,
                ["total"] = page.Total,
                ["total_unfiltered"] = page.TotalUnfiltered,
                ["total_pages"] = totalPages,
                ["has_next"] = query.Page < totalPages,
                ["has_prev"] = query.Page > 1,
            },
            ["metrics"] = RunSummary.Strings(metricNames),
        });
    }

    private static async Task<IResult> GetAsync(
        [FromRoute(Name = "run_id")] string runId, ClaimsPrincipal user, RunStore runs, CancellationToken cancellationToken)
    {
        var run = await runs.GetAsync(user.ProjectId(), RunQueryString.RunId(runId, "run_id"), cancellationToken);
        return run is null ? NotFound() : TypedResults.Ok(new JsonObject { ["evaluation"] = run.ToJson() });
    }

    private static async Task<IResult> UpdateAsync(
        [FromRoute(Name = "run_id")] string runId, [FromBody] JsonNode? body, ClaimsPrincipal user, RunStore runs, RunsOptions options,
        CancellationToken cancellationToken)
    {
        var id = RunQueryString.RunId(runId, "run_id");
        var changes = RunRequests.Parse(body, create: false, options.MaxIds);
        var run = await runs.UpdateAsync(user.ProjectId(), id, changes, cancellationToken);
        return run is null ? NotFound() : TypedResults.Ok(new JsonObject { ["evaluation"] = run.ToJson() });
    }

    private static async Task<IResult> DeleteAsync(
        [FromRoute(Name = "run_id")] string runId, ClaimsPrincipal user, RunStore runs, CancellationToken cancellationToken)
    {
        var id = RunQueryString.RunId(runId, "run_id");
        return await runs.DeleteAsync(user.ProjectId(), id, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["id"] = id.ToString(), ["deleted"] = true })
            : NotFound();
    }

    private static async Task<IResult> SummaryAsync(
        [FromRoute(Name = "run_id")] string runId, HttpRequest request, ClaimsPrincipal user, RunStore runs, RunEvents events,
        CancellationToken cancellationToken)
    {
        var function = Aggregates.Parse(request.Query["aggregate_function"]);
        var filters = RunQueryString.Filters(request.Query, "filters");
        var run = await runs.GetAsync(user.ProjectId(), RunQueryString.RunId(runId, "run_id"), cancellationToken);
        if (run is null) return NotFound();
        var set = await events.LoadAsync(user.ProjectId(), run, filters, null, null, cancellationToken);
        return TypedResults.Ok(RunSummary.Build(run, set, function));
    }

    private static async Task<IResult> MetricsAsync(
        [FromRoute(Name = "run_id")] string runId, HttpRequest request, ClaimsPrincipal user, RunStore runs, RunEvents events,
        RunsOptions options, CancellationToken cancellationToken)
    {
        var filters = RunQueryString.Filters(request.Query, "filters");
        var (from, to) = RunQueryString.DateRange(request.Query);
        var (page, limit) = RunQueryString.Page(request.Query, 1000, options.MetricsMaxLimit);
        var run = await runs.GetAsync(user.ProjectId(), RunQueryString.RunId(runId, "run_id"), cancellationToken);
        if (run is null) return NotFound();
        var set = await events.LoadAsync(user.ProjectId(), run, filters, from, to, cancellationToken);
        return TypedResults.Ok(RunMetricEvents.Build(set, page, limit));
    }

    private static async Task<IResult> CompareAsync(
        [FromRoute(Name = "new_run_id")] string newRunId, [FromRoute(Name = "old_run_id")] string oldRunId, HttpRequest request,
        ClaimsPrincipal user, RunStore runs, RunEvents events, CancellationToken cancellationToken)
    {
        var function = Aggregates.Parse(request.Query["aggregate_function"]);
        var filters = RunQueryString.Filters(request.Query, "filters");
        var project = user.ProjectId();
        var newRun = await runs.GetAsync(project, RunQueryString.RunId(newRunId, "new_run_id"), cancellationToken);
        var oldRun = await runs.GetAsync(project, RunQueryString.RunId(oldRunId, "old_run_id"), cancellationToken);
        if (newRun is null || oldRun is null) return NotFound();
        var newSet = await events.LoadAsync(project, newRun, filters, null, null, cancellationToken);
        var oldSet = await events.LoadAsync(project, oldRun, filters, null, null, cancellationToken);
        return TypedResults.Ok(RunComparison.Build(newRun, newSet, oldRun, oldSet, function));
    }

    private static Task<IResult> CompareEventsAsync(
        [FromRoute(Name = "new_run_id")] string newRunId, [FromRoute(Name = "old_run_id")] string oldRunId, HttpRequest request,
        ClaimsPrincipal user, RunStore runs, RunEvents events, RunsOptions options, CancellationToken cancellationToken) =>
        PairsAsync(newRunId, "new_run_id", oldRunId, "old_run_id", request, user, runs, events, options, cancellationToken);

    private static Task<IResult> LegacyCompareEventsAsync(
        HttpRequest request, ClaimsPrincipal user, RunStore runs, RunEvents events, RunsOptions options, CancellationToken cancellationToken) =>
        PairsAsync(request.Query["run_id_1"], "run_id_1", request.Query["run_id_2"], "run_id_2", request, user, runs, events, options, cancellationToken);

    private static async Task<IResult> PairsAsync(
        string? firstId, string firstName, string? secondId, string secondName, HttpRequest request, ClaimsPrincipal user, RunStore runs,
        RunEvents events, RunsOptions options, CancellationToken cancellationToken)
    {
        var first = RunQueryString.RunId(firstId, firstName);
        var second = RunQueryString.RunId(secondId, secondName);
        var filters = RunQueryString.Filters(request.Query, "filter").ToList();
        if (request.Query["event_name"].ToString() is { Length: > 0 } eventName)
            filters.Add(new EventFilter("event_name", "is", JsonSerializer.SerializeToElement(eventName), "string"));
        if (request.Query["event_type"].ToString() is { Length: > 0 } eventType)
            filters.Add(new EventFilter("event_type", "is", JsonSerializer.SerializeToElement(eventType), "string"));
        var (page, limit) = RunQueryString.Page(request.Query, options.CompareEventsMaxLimit, options.CompareEventsMaxLimit);

        var project = user.ProjectId();
        var firstRun = await runs.GetAsync(project, first, cancellationToken);
        var secondRun = await runs.GetAsync(project, second, cancellationToken);
        if (firstRun is null || secondRun is null) return NotFound();
        var firstSet = await events.LoadAsync(project, firstRun, filters, null, null, cancellationToken);
        var secondSet = await events.LoadAsync(project, secondRun, filters, null, null, cancellationToken);
        var pairs = RunEventPairs.Pair(firstSet, secondSet);
        var slice = pairs.Skip((page - 1) * limit).Take(limit).ToList();

        var sessions = slice.SelectMany(p => new[] { p.First.SessionId, p.Second.SessionId }).Distinct(StringComparer.Ordinal).ToList();
        var ids = slice.SelectMany(p => new[] { p.First.EventId, p.Second.EventId }).Distinct(StringComparer.Ordinal).ToList();
        var full = await events.FullEventsAsync(project, sessions, ids, cancellationToken);
        var list = new JsonArray();
        foreach (var pair in slice)
        {
            // An event deleted between the two reads drops its pair from the page.
            if (!full.TryGetValue(pair.First.EventId, out var one) || !full.TryGetValue(pair.Second.EventId, out var two)) continue;
            list.Add(new JsonObject { ["datapoint_id"] = pair.DatapointId, ["event_1"] = EventRowJson.ToNode(one), ["event_2"] = EventRowJson.ToNode(two) });
        }

        return TypedResults.Ok(new JsonObject
        {
            ["events"] = list,
            ["totalEvents"] = pairs.Count,
            ["pagination"] = new JsonObject { ["page"] = page, ["limit"] = limit, ["total"] = pairs.Count },
        });
    }

    private static async Task<IResult> RunSchemaAsync(
        [FromRoute(Name = "run_id")] string runId, HttpRequest request, ClaimsPrincipal user, RunStore runs, RunEvents events,
        CancellationToken cancellationToken)
    {
        var (from, to) = RunQueryString.DateRange(request.Query);
        var run = await runs.GetAsync(user.ProjectId(), RunQueryString.RunId(runId, "run_id"), cancellationToken);
        if (run is null) return NotFound();
        return TypedResults.Ok(await RunSchema.ForRunAsync(user.ProjectId(), run, events, from, to, cancellationToken));
    }

    private static async Task<IResult> ProjectSchemaAsync(
        HttpRequest request, ClaimsPrincipal user, RunStore runs, RunEvents events, CancellationToken cancellationToken)
    {
        var (from, to) = RunQueryString.DateRange(request.Query);
        var project = user.ProjectId();
        // The legacy spec's evaluation_id narrows the project-wide schema to one run.
        if (request.Query["evaluation_id"].ToString() is { Length: > 0 } evaluationId)
        {
            var run = await runs.GetAsync(project, RunQueryString.RunId(evaluationId, "evaluation_id"), cancellationToken);
            if (run is null) return NotFound();
            return TypedResults.Ok(await RunSchema.ForRunAsync(project, run, events, from, to, cancellationToken));
        }

        return TypedResults.Ok(await RunSchema.ForProjectAsync(project, runs, events, from, to, cancellationToken));
    }

    private static NotFound<ProblemDetails> NotFound() =>
        TypedResults.NotFound(new ProblemDetails { Title = "Run not found", Status = StatusCodes.Status404NotFound });
}
