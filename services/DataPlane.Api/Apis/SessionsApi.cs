using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>Session reads: the trace tree, deletion (tombstones) and the session list with aggregates.</summary>
public static class SessionsApi
{
    /// <summary>What the session list covers when the request names no dateRange.</summary>
    public static readonly TimeSpan DefaultRange = TimeSpan.FromDays(7);

    public static void MapSessionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/sessions/{session_id}", GetAsync).Produces(StatusCodes.Status200OK, contentType: "application/json").RequirePermission(Permissions.EventsRead);
        // The official SDK's session.getSession calls the path without /v1 and reads the root as its Event.
        app.MapGet("/session/{session_id}", GetAsync).RequirePermission(Permissions.EventsRead);
        app.MapDelete("/v1/sessions/{session_id}", DeleteAsync).RequirePermission(Permissions.EventsWrite);
        app.MapPost("/v1/sessions/search", SearchAsync).Produces(StatusCodes.Status200OK, contentType: "application/json").RequirePermission(Permissions.EventsRead);
        app.MapGet("/v1/sessions", ListAsync).Produces(StatusCodes.Status200OK, contentType: "application/json").RequirePermission(Permissions.EventsRead);
    }

    private static async Task<Results<SessionTreeResult, NotFound<ProblemDetails>>> GetAsync(
        [FromRoute(Name = "session_id")] string sessionId, ClaimsPrincipal user, SessionQueries sessions, CancellationToken cancellationToken)
    {
        var tree = await sessions.TreeAsync(user.ProjectId(), sessionId, cancellationToken);
        return tree is null ? NotFound() : new SessionTreeResult(tree);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        [FromRoute(Name = "session_id")] string sessionId, ClaimsPrincipal user, SessionQueries sessions, CancellationToken cancellationToken) =>
        await sessions.DeleteAsync(user.ProjectId(), sessionId, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["success"] = true, ["deleted"] = sessionId })
            : NotFound();

    private static Task<SessionPageResult> SearchAsync(
        EventSearchRequest request, ClaimsPrincipal user, SessionQueries sessions, QueryOptions options, CancellationToken cancellationToken) =>
        PageAsync(request, user, sessions, options, cancellationToken);

    // limit and page arrive as text: bound as int, a value past int's range failed binding with a 400 that did not name it.
    private static async Task<SessionPageResult> ListAsync(
        ClaimsPrincipal user, SessionQueries sessions, QueryOptions options,
        [FromQuery(Name = "limit")] string? limit, [FromQuery(Name = "cursor")] string? cursor, [FromQuery(Name = "page")] string? page,
        [FromQuery(Name = "dateRange")] string? dateRange, CancellationToken cancellationToken)
    {
        var request = new EventSearchRequest
        {
            Limit = Number(limit, "limit") ?? 100, Cursor = cursor, Page = Number(page, "page"),
            DateRange = dateRange is null ? default : JsonSerializer.SerializeToElement(dateRange),
        };
        return await PageAsync(request, user, sessions, options, cancellationToken);
    }

    /// <summary>Digits only; EventSearch then checks the range (a huge value is refused there, naming the field).</summary>
    private static double? Number(string? text, string name) =>
        text is null ? null
        : double.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw ApiRequestException.BadRequest(name, $"{name} is a whole number from 1.");

    private static async Task<SessionPageResult> PageAsync(
        EventSearchRequest request, ClaimsPrincipal user, SessionQueries sessions, QueryOptions options, CancellationToken cancellationToken)
    {
        var search = EventSearch.From(request with { Limit = request.Limit ?? 100 }, options.SessionMaxLimit);
        // Without a dateRange the list covers the last 7 days (as peers do): a bounded read whatever the project's age.
        // A dateRange with either bound reaches exactly what it names, the whole history included.
        if (search.Scope is { From: null, To: null })
            search = search with { Scope = search.Scope with { From = DateTimeOffset.UtcNow - DefaultRange } };
        return new SessionPageResult(await sessions.ListAsync(user.ProjectId(), search, cancellationToken));
    }

    private static NotFound<ProblemDetails> NotFound() =>
        TypedResults.NotFound(new ProblemDetails { Title = "Session not found", Status = StatusCodes.Status404NotFound });
}
