using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>A project's quota overrides; null where the data plane's configured default (Quotas:*) applies.</summary>
public sealed record ProjectQuotaOverrides(
    [property: JsonPropertyName("project_id")] Guid ProjectId,
    [property: JsonPropertyName("ingest_spans_per_second")] long? IngestSpansPerSecond,
    [property: JsonPropertyName("ingest_spans_per_day")] long? IngestSpansPerDay,
    [property: JsonPropertyName("api_requests_per_minute")] long? ApiRequestsPerMinute);

/// <summary>
/// A project's quota overrides: GET for whoever may read the project, PUT for workspace admins only (workspaces:manage on the
/// project's workspace): a quota protects the other projects of the deployment from this one, so a project's own admin must
/// not be able to lift it. Each field of the PUT is optional: absent keeps it, null returns it to the default, a positive
/// integer sets it. The change is audited and reaches the data planes with the project on the controllers' stream.
/// </summary>
public static class ProjectQuotasApi
{
    private const string What = "Project";

    /// <summary>Far above anything one deployment ingests, low enough that the token arithmetic stays exact in doubles.</summary>
    public const long MaxValue = 1_000_000_000_000;

    private static readonly string[] Fields = ["ingest_spans_per_second", "ingest_spans_per_day", "api_requests_per_minute"];

    private const string Columns =
        "id AS ProjectId, ingest_spans_per_second AS IngestSpansPerSecond, ingest_spans_per_day AS IngestSpansPerDay, api_requests_per_minute AS ApiRequestsPerMinute";

    public static void MapProjectQuotasApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/projects/{project_id}/quotas", GetAsync);
        api.MapPut("/v1/projects/{project_id}/quotas", UpdateAsync).Accepts<ProjectQuotaOverrides>("application/json");
    }

    private static async Task<Ok<Envelope<ProjectQuotaOverrides>>> GetAsync(
        [FromRoute(Name = "project_id")] string idText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        await access.RequireAsync(principal, Permissions.ProjectsRead, await access.Tree.ProjectAsync(id, cancellationToken), What, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(await FindAsync(connection, null, id, cancellationToken)));
    }

    private static async Task<Ok<Envelope<ProjectQuotaOverrides>>> UpdateAsync(
        [FromRoute(Name = "project_id")] string idText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.ProjectAsync(id, cancellationToken);
        var caller = await access.CallerAsync(principal, cancellationToken);
        // Who cannot see the project is told it does not exist; who sees it without being a workspace admin, why not.
        if (path is null || !GrantRules.Reaches(caller.Grants, path)) throw ApiRequestException.NotFound(null, $"{What} not found.");
        if (!GrantRules.Allows(caller.Grants, new TenancyPath(path.OrgId, path.WorkspaceId), Permissions.WorkspacesManage))
            throw ApiRequestException.Forbidden(null, $"Setting a project's quotas needs the '{Permissions.WorkspacesManage}' permission on its workspace.");
        var body = await RequestBody.ReadAsync(request, Fields, cancellationToken);
        var changes = Fields.Where(body.ContainsKey).ToDictionary(f => f, f => Limit(body, f), StringComparer.Ordinal);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        var after = before with
        {
            IngestSpansPerSecond = changes.TryGetValue(Fields[0], out var rate) ? rate : before.IngestSpansPerSecond,
            IngestSpansPerDay = changes.TryGetValue(Fields[1], out var daily) ? daily : before.IngestSpansPerDay,
            ApiRequestsPerMinute = changes.TryGetValue(Fields[2], out var api) ? api : before.ApiRequestsPerMinute,
        };
        if (after == before) return TypedResults.Ok(Envelope.Of(before));
        // updated_at moves so the controllers' sync sends the new limits to the data planes.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE projects SET ingest_spans_per_second = @IngestSpansPerSecond, ingest_spans_per_day = @IngestSpansPerDay,
                api_requests_per_minute = @ApiRequestsPerMinute, updated_at = now()
            WHERE id = @ProjectId
            """, after, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(path.OrgId, caller, "project.quotas_updated", ProjectsApi.TargetType, id.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(after));
    }

    /// <summary>null (back to the default) or a whole number from 1 to <see cref="MaxValue"/>; anything else is a 400 naming the field.</summary>
    private static long? Limit(JsonObject body, string field)
    {
        var node = body[field];
        if (node is null) return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number) && number is > 0 and <= MaxValue)
            return number;
        throw ApiRequestException.BadRequest(field, $"{field} must be a whole number from 1 to {MaxValue}, or null to use the data plane's default.");
    }

    private static async Task<ProjectQuotaOverrides> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<ProjectQuotaOverrides>(new CommandDefinition(
            $"SELECT {Columns} FROM projects WHERE id = @id AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { id }, transaction, cancellationToken: cancellationToken))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");
}
