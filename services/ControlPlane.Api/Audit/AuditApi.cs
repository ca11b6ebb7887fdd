using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Audit;

public sealed record AuditItem(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("at")] DateTime At,
    [property: JsonPropertyName("actor_type")] string ActorType,
    [property: JsonPropertyName("actor_id")] string ActorId,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target_type")] string TargetType,
    [property: JsonPropertyName("target_id")] string TargetId,
    [property: JsonPropertyName("before")] JsonElement? Before,
    [property: JsonPropertyName("after")] JsonElement? After);

/// <summary>GET /v1/orgs/{org_id}/audit: the org's audit log, newest first, for callers with audit:read on the org.</summary>
public static class AuditApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    private const string CursorPrefix = "a1:";

    public static void MapAuditApi(this IEndpointRouteBuilder api) => api.MapGet("/v1/orgs/{org_id}/audit", ListAsync);

    private sealed record Row(long Id, DateTime At, string ActorType, string ActorId, string Action, string TargetType, string TargetId, string? Before, string? After);

    private static async Task<Ok<PagedEnvelope<AuditItem>>> ListAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromQuery(Name = "limit")] string? limitText, [FromQuery(Name = "cursor")] string? cursor,
        [FromQuery(Name = "action")] string? action, [FromQuery(Name = "target_type")] string? targetType, [FromQuery(Name = "actor_id")] string? actorId,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        await access.RequireAsync(principal, Permissions.AuditRead, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        var limit = Limit(limitText);
        var before = cursor is null ? (long?)null : Cursor(cursor);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        // Ids grow with time (one identity, clock_timestamp), so "newest first" is id order and a cursor is the last id seen.
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT id, at, actor_type AS ActorType, actor_id AS ActorId, action, target_type AS TargetType, target_id AS TargetId, before::text AS before, after::text AS after FROM audit_log
            WHERE org_id = @orgId AND (@before::bigint IS NULL OR id < @before)
              AND (@action::text IS NULL OR action = @action) AND (@targetType::text IS NULL OR target_type = @targetType)
              AND (@actorId::text IS NULL OR actor_id = @actorId)
            ORDER BY id DESC LIMIT @take
            """, new { orgId, before, action, targetType, actorId, take = limit + 1 }, cancellationToken: cancellationToken))).ToList();
        var page = rows.Take(limit).Select(r => new AuditItem(r.Id, r.At, r.ActorType, r.ActorId, r.Action, r.TargetType, r.TargetId, Json(r.Before), Json(r.After))).ToList();
        var next = rows.Count > limit ? Convert.ToBase64String(Encoding.UTF8.GetBytes(CursorPrefix + page[^1].Id.ToString(CultureInfo.InvariantCulture))) : null;
        return TypedResults.Ok(new PagedEnvelope<AuditItem>(true, page, next));
    }

    private static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    private static int Limit(string? text)
    {
        if (text is null) return DefaultLimit;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1 || limit > MaxLimit)
            throw ApiRequestException.BadRequest("limit", $"limit must be a whole number from 1 to {MaxLimit}.");
        return limit;
    }

    private static long Cursor(string text)
    {
        var bytes = new byte[text.Length];
        if (Convert.TryFromBase64String(text, bytes, out var written)
            && Encoding.UTF8.GetString(bytes, 0, written) is { } decoded && decoded.StartsWith(CursorPrefix, StringComparison.Ordinal)
            && long.TryParse(decoded.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
            return id;
        throw ApiRequestException.BadRequest("cursor", "cursor is not one this API returned; send next_cursor from the previous page.");
    }
}
