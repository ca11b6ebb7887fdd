using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Charts;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Saved charts (data-plane spec <c>/v1/charts</c>): chart configurations in dpdb, scoped by the
/// key's project, so another project's chart id answers 404 like an unknown one.
/// </summary>
public static class ChartsApi
{
    public static void MapChartsApi(this IEndpointRouteBuilder app)
    {
        var charts = app.MapGroup("/v1/charts");
        charts.MapGet("", ListAsync).RequirePermission(Permissions.EventsRead);
        charts.MapPost("", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.EventsWrite);
        charts.MapGet("/{chart_id}", GetAsync).RequirePermission(Permissions.EventsRead);
        charts.MapPut("/{chart_id}", UpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.EventsWrite);
        charts.MapDelete("/{chart_id}", DeleteAsync).RequirePermission(Permissions.EventsWrite);
    }

    private static async Task<Ok<JsonObject>> ListAsync(ClaimsPrincipal user, ChartStore store, string? limit, CancellationToken cancellationToken)
    {
        var charts = await store.ListAsync(user.ProjectId(), ListLimit.Resolve(limit), cancellationToken);
        return TypedResults.Ok(new JsonObject { ["success"] = true, ["data"] = new JsonArray([.. charts.Select(c => c.ToJson())]) });
    }

    private static async Task<Ok<JsonObject>> CreateAsync(ClaimsPrincipal user, ChartStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        var content = ChartDefinition.Normalize(body, create: true, errors);
        errors.ThrowIfAny();
        var chart = await store.CreateAsync(user.ProjectId(), content, cancellationToken);
        return Success(chart);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetAsync(
        ClaimsPrincipal user, ChartStore store, [FromRoute(Name = "chart_id")] string chartId, CancellationToken cancellationToken)
    {
        var chart = Guid.TryParse(chartId, out var id) ? await store.GetAsync(user.ProjectId(), id, cancellationToken) : null;
        return chart is null ? ApiResults.NotFound("Chart") : Success(chart);
    }

    /// <summary>Only the fields sent change (the spec); the body is checked before the chart is looked up.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateAsync(
        ClaimsPrincipal user, ChartStore store, [FromRoute(Name = "chart_id")] string chartId, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        var changes = ChartDefinition.Normalize(body, create: false, errors);
        errors.ThrowIfAny();
        var chart = Guid.TryParse(chartId, out var id) ? await store.UpdateAsync(user.ProjectId(), id, changes, cancellationToken) : null;
        return chart is null ? ApiResults.NotFound("Chart") : Success(chart);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        ClaimsPrincipal user, ChartStore store, [FromRoute(Name = "chart_id")] string chartId, CancellationToken cancellationToken) =>
        Guid.TryParse(chartId, out var id) && await store.DeleteAsync(user.ProjectId(), id, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["success"] = true, ["message"] = "Chart deleted." })
            : ApiResults.NotFound("Chart");

    private static Ok<JsonObject> Success(StoredChart chart) => TypedResults.Ok(new JsonObject { ["success"] = true, ["data"] = chart.ToJson() });
}
