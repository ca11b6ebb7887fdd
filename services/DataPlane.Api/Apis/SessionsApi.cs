using System.Globalization;
using System.Security.Claims;
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
    public static void MapSessionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/sessions/{session_id}", GetAsync).Produces(StatusCodes.Status200OK, contentType: "application/json").RequirePermission(Permissions.EventsRead);
        // The official SDK's session.getSession calls the path without /v1 and reads the root as its Event.
        app.MapGet("/session/{session_id}", GetAsync).RequirePermission(Permissions.EventsRead);
        app.MapDelete("/v1/sessions/{session_id}", DeleteAsync).RequirePermission(Permissions.EventsWrite);
        app.MapPost("/v1/sessions/search", SearchAsync).RequirePermission(Permissions.EventsRead);
        app.MapGet("/v1/sessions", ListAsync).RequirePermission(Permissions.EventsRead);
    }

    private static async Task<Results<JsonNodeResult, NotFound<ProblemDetails>>> GetAsync(
        [FromRoute(Name = "session_id")] string sessionId, ClaimsPrincipal user, SessionQueries sessions, CancellationToken cancellationToken)
    {
        var tree = await sessions.TreeAsync(user.ProjectId(), sessionId, cancellationToken);
        return tree is null ? NotFound() : new JsonNodeResult(tree);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        [FromRoute(Name = "session_id")] string sessionId, ClaimsPrincipal user, SessionQueries sessions, CancellationToken cancellationToken) =>
        await sessions.DeleteAsync(user.ProjectId(), sessionId, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["success"] = true, ["deleted"] = sessionId })
            : NotFound();

    private static Task<Ok<JsonObject>> SearchAsync(
        EventSearchRequest request, ClaimsPrincipal user, SessionQueries sessions, QueryOptions options, CancellationToken cancellationToken) =>
        PageAsync(request, user, sessions, options, cancellationToken);

    // limit and page arrive as text: bound as int, a value past int's range failed binding with a 400 that did not name it.
    private static async Task<Ok<JsonObject>> ListAsync(
        ClaimsPrincipal user, SessionQueries sessions, QueryOptions options,
        [FromQuery(Name = "limit")] string? limit, [FromQuery(Name = "cursor")] string? cursor, [FromQuery(Name = "page")] string? page,
        CancellationToken cancellationToken)
    {
        var request = new EventSearchRequest { Limit = Number(limit, "limit") ?? 100, Cursor = cursor, Page = Number(page, "page") };
        return await PageAsync(request, user, sessions, options, cancellationToken);
    }

    /// <summary>Digits only; EventSearch then checks the range (a huge value is refused there, naming the field).</summary>
    private static double? Number(string? text, string name) =>
        text is null ? null
        : double.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw ApiRequestException.BadRequest(name, $"{name} is a whole number from 1.");

    private static async Task<Ok<JsonObject>> PageAsync(
        EventSearchRequest request, ClaimsPrincipal user, SessionQueries sessions, QueryOptions options, CancellationToken cancellationToken)
    {
        var search = EventSearch.From(request with { Limit = request.Limit ?? 100 }, options.SessionMaxLimit);
        var (list, total, next) = await sessions.ListAsync(user.ProjectId(), search, cancellationToken);
        return TypedResults.Ok(new JsonObject
        {
            ["sessions"] = new JsonArray([.. list]),
            ["count"] = total,
            ["next_cursor"] = next?.Encode(),
        });
    }

    private static NotFound<ProblemDetails> NotFound() =>
        TypedResults.NotFound(new ProblemDetails { Title = "Session not found", Status = StatusCodes.Status404NotFound });
}
