using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Event reads: search (data-plane spec), export (legacy spec; the SDK's events.getEvents calls
/// <c>POST /events/export</c>), the legacy <c>GET /events</c>, one event and its deletion, charts
/// and the field catalogue. Every query is scoped
/// to the API key's project, so another project's ids answer 404. Search, GET /events, export and chart read
/// the last <see cref="QueryOptions.DefaultRangeDays"/> days unless the request names a dateRange
/// (<c>{start_time, end_time}</c> or <c>{$gte, $lte}</c>; one bound leaves the other side open, so
/// <c>{"start_time": 0}</c> reads everything) or an evaluation_id.
/// </summary>
public static class EventsApi
{
    public static void MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events/search", SearchAsync).RequirePermission(Permissions.EventsRead);
        app.MapPost("/v1/events/export", ExportAsync).RequirePermission(Permissions.EventsRead);
        app.MapPost("/events/export", ExportAsync).RequirePermission(Permissions.EventsRead);
        app.MapGet("/v1/events/chart", ChartAsync).RequirePermission(Permissions.EventsRead);
        app.MapGet("/v1/events/schema", SchemaAsync).RequirePermission(Permissions.EventsRead);
        app.MapGet("/v1/events/{event_id}", GetAsync).Produces(StatusCodes.Status200OK, contentType: "application/json").RequirePermission(Permissions.EventsRead);
        app.MapDelete("/v1/events/{event_id}", DeleteAsync).RequirePermission(Permissions.EventsWrite);
        app.MapGet("/events", ListLegacyAsync).RequirePermission(Permissions.EventsRead);
    }

    private static async Task<EventPageResult> SearchAsync(
        EventSearchRequest request, ClaimsPrincipal user, EventQueries queries, QueryOptions options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var search = EventSearch.From(request, options.SearchMaxLimit, options.DefaultFrom(clock.GetUtcNow()));
        var project = user.ProjectId();
        var page = await queries.PageAsync(project, search, search.After, search.Limit, search.Offset, cancellationToken);
        var total = await queries.TotalAsync(project, search, cancellationToken);
        return new EventPageResult(page, search.Projection, total);
    }

    /// <summary>Legacy getEvents: the search as query parameters; answers GetEventsResponse (events, totalEvents).</summary>
    private static Task<EventPageResult> ListLegacyAsync(
        ClaimsPrincipal user, EventQueries queries, QueryOptions options, TimeProvider clock,
        [FromQuery(Name = "dateRange")] string? dateRange, [FromQuery(Name = "filters")] string? filters,
        [FromQuery(Name = "projections")] string[]? projections, [FromQuery(Name = "ignore_order")] string? ignoreOrder,
        [FromQuery(Name = "limit")] string? limit, [FromQuery(Name = "page")] string? page,
        [FromQuery(Name = "evaluation_id")] string? evaluationId, CancellationToken cancellationToken) =>
        SearchAsync(LegacyEventQuery.Parse(dateRange, filters, projections, ignoreOrder, limit, page, evaluationId), user, queries, options, clock, cancellationToken);

    /// <summary>Tombstones the event like session deletion does, so no read returns it afterwards.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        [FromRoute(Name = "event_id")] string eventId, ClaimsPrincipal user, EventQueries queries, CancellationToken cancellationToken) =>
        await queries.DeleteAsync(user.ProjectId(), eventId, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["success"] = true, ["deleted"] = eventId })
            : TypedResults.NotFound(new ProblemDetails { Title = "Event not found", Status = StatusCodes.Status404NotFound });

    private static async Task<EventExportResult> ExportAsync(
        EventSearchRequest request, ClaimsPrincipal user, EventQueries queries, QueryOptions options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var search = EventSearch.From(request, options.ExportMaxLimit, options.DefaultFrom(clock.GetUtcNow()));
        // Counting first also runs the compiled filters once before any byte of the 200 is sent.
        var total = await queries.TotalAsync(user.ProjectId(), search, cancellationToken);
        return new EventExportResult(queries, user.ProjectId(), search, total, options.ExportChunkSize);
    }

    private static async Task<Results<EventResult, NotFound<ProblemDetails>>> GetAsync(
        [FromRoute(Name = "event_id")] string eventId, ClaimsPrincipal user, IAnalyticsStore store, PayloadResolver payloads, CancellationToken cancellationToken) =>
        await EventResult.FindAsync(store, payloads, user.ProjectId(), eventId, cancellationToken) is { } found
            ? found
            : TypedResults.NotFound(new ProblemDetails { Title = "Event not found", Status = StatusCodes.Status404NotFound });

    private static async Task<Ok<JsonObject>> ChartAsync(
        ClaimsPrincipal user, ChartQueries charts, QueryOptions options, TimeProvider clock,
        [FromQuery(Name = "dateRange")] string? dateRange, [FromQuery(Name = "filters")] string? filters,
        [FromQuery(Name = "metric")] string? metric, [FromQuery(Name = "groupBy")] string? groupBy,
        [FromQuery(Name = "bucket")] string? bucket, [FromQuery(Name = "aggregation")] string? aggregation,
        [FromQuery(Name = "evaluation_id")] string? evaluationId, CancellationToken cancellationToken)
    {
        var points = await charts.ChartAsync(
            user.ProjectId(), new ChartRequest(dateRange, filters, metric, groupBy, bucket, aggregation, evaluationId), cancellationToken,
            options.DefaultFrom(clock.GetUtcNow()));
        var events = new JsonArray();
        foreach (var point in points)
            events.Add(new JsonObject { ["timestamp"] = point.Timestamp, ["group"] = point.Group, ["value"] = point.Value, ["count"] = point.Count });
        return TypedResults.Ok(new JsonObject { ["events"] = events, ["totalEvents"] = points.Sum(p => p.Count) });
    }

    private static async Task<Ok<object>> SchemaAsync(
        ClaimsPrincipal user, SchemaQueries schemas, [FromQuery(Name = "dateRange")] string? dateRange, CancellationToken cancellationToken)
    {
        var (from, to) = EventSearch.ParseDateRange(dateRange is null ? default : System.Text.Json.JsonSerializer.SerializeToElement(dateRange));
        return TypedResults.Ok(SchemaQueries.Response(await schemas.FieldsAsync(user.ProjectId(), from, to, cancellationToken)));
    }
}
