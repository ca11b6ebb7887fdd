using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Contracts.Alerts;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Alerts;

/// <summary>
/// The control-plane spec's alerts (<c>/v1/projects/{project_id}/alerts</c>), plus update, delete and the trigger
/// history. Definitions reach data planes through the controllers' stream (updated_at moves on every change); what the
/// engines saw comes back the same way into the status, last_result and alert_triggers.
/// </summary>
public static class AlertsApi
{
    public const string TargetType = "alert";
    private const string What = "Alert";
    private const int MaxTriggersInItem = 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.Ordinal)
    {
        ["created_at"] = "created_at", ["updated_at"] = "updated_at", ["name"] = "name", ["status"] = "status",
        ["frequency"] = "frequency", ["last_triggered"] = "last_triggered",
    };

    public static void MapAlertsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/projects/{project_id}/alerts", ListAsync);
        api.MapPost("/v1/projects/{project_id}/alerts", CreateAsync).Accepts<JsonObject>("application/json");
        api.MapGet("/v1/projects/{project_id}/alerts/{alert_id}", GetAsync);
        api.MapPut("/v1/projects/{project_id}/alerts/{alert_id}", UpdateAsync).Accepts<JsonObject>("application/json");
        api.MapDelete("/v1/projects/{project_id}/alerts/{alert_id}", DeleteAsync);
        api.MapGet("/v1/projects/{project_id}/alerts/{alert_id}/triggers", TriggersAsync);
    }

    private static async Task<Ok<PaginatedEnvelope<AlertItem>>> ListAsync(
        [FromRoute(Name = "project_id")] string projectIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, TimeProvider clock, CancellationToken cancellationToken)
    {
        var projectId = RequestBody.RouteId(projectIdText, "Project");
        await access.RequireAsync(principal, Permissions.AlertsRead, await access.Tree.ProjectAsync(projectId, cancellationToken), "Project", cancellationToken);
        var (page, limit) = Paging(request, 20);
        var status = Query(request, "status", AlertNames.Statuses);
        var sortBy = SortColumns[Query(request, "sort_by", [.. SortColumns.Keys]) ?? "created_at"];
        var order = (Query(request, "sort_order", ["asc", "desc"]) ?? "desc") == "asc" ? "ASC" : "DESC";

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var parameters = new { projectId, status, limit, offset = (page - 1) * limit };
        var totalUnfiltered = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM alerts WHERE project_id = @projectId AND deleted_at IS NULL", parameters, cancellationToken: cancellationToken));
        var total = status is null ? totalUnfiltered : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM alerts WHERE project_id = @projectId AND deleted_at IS NULL AND status = @status", parameters, cancellationToken: cancellationToken));
        // sortBy and order come from the fixed maps above, never from the request text itself.
        var rows = await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"""
            SELECT {AlertRow.Columns} FROM alerts
            WHERE project_id = @projectId AND deleted_at IS NULL AND (@status::text IS NULL OR status = @status)
            ORDER BY {sortBy} {order} NULLS LAST, id {order} LIMIT @limit OFFSET @offset
            """, parameters, cancellationToken: cancellationToken));
        var now = clock.GetUtcNow();
        var totalPages = (total + limit - 1) / limit;
        return TypedResults.Ok(new PaginatedEnvelope<AlertItem>(true, [.. rows.Select(r => AlertItem.Of(r, now))],
            new Pagination(page, limit, total, totalUnfiltered, totalPages, page < totalPages, page > 1)));
    }

    private static async Task<Ok<Envelope<AlertItem>>> CreateAsync(
        [FromRoute(Name = "project_id")] string projectIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring,
        OutboundGuard guard, TimeProvider clock, CancellationToken cancellationToken)
    {
        var projectId = RequestBody.RouteId(projectIdText, "Project");
        var path = await access.Tree.ProjectAsync(projectId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.AlertsManage, path, "Project", cancellationToken);
        var body = await RequestBody.ReadAsync(request, AlertRequest.Fields, cancellationToken);
        var id = Guid.CreateVersion7();
        var spec = await AlertRequest.ParseAsync(body, Context(id, path!.OrgId, ring, guard, cpdb, null), cancellationToken);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<AlertRow>(new CommandDefinition(
            $"""
            INSERT INTO alerts (id, project_id, name, description, status, frequency, minimum_sample_size, alert_type, aggregation,
                event_filters, event_metrics, thresholds, notification_details, muted_until, recovery_seconds, created_by)
            VALUES (@id, @projectId, @Name, @Description, @Status, @Frequency, @MinimumSampleSize, @AlertType, @Aggregation,
                @filters::jsonb, @metrics::jsonb, @thresholds::jsonb, @details::jsonb, @MutedUntil, @RecoverySeconds, @createdBy)
            RETURNING {AlertRow.Columns}
            """, Parameters(spec, new { id, projectId, createdBy = caller.UserId }), transaction, cancellationToken: cancellationToken));
        var item = AlertItem.Of(row, clock.GetUtcNow());
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path.OrgId, caller, "alert.created", TargetType, id.ToString(), null, item), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(item));
    }

    private static async Task<Ok<Envelope<AlertItem>>> GetAsync(
        [FromRoute(Name = "project_id")] string projectIdText, [FromRoute(Name = "alert_id")] string alertIdText, ClaimsPrincipal principal,
        ControlPlaneAccess access, [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (projectId, alertId) = Ids(projectIdText, alertIdText);
        await access.RequireAsync(principal, Permissions.AlertsRead, await access.Tree.ProjectAsync(projectId, cancellationToken), "Project", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var row = await FindAsync(connection, null, projectId, alertId, cancellationToken);
        var triggers = await TriggerPageAsync(connection, alertId, MaxTriggersInItem, 0, cancellationToken);
        return TypedResults.Ok(Envelope.Of(AlertItem.Of(row, clock.GetUtcNow(), triggers)));
    }

    private static async Task<Ok<Envelope<AlertItem>>> UpdateAsync(
        [FromRoute(Name = "project_id")] string projectIdText, [FromRoute(Name = "alert_id")] string alertIdText, HttpRequest request,
        ClaimsPrincipal principal, ControlPlaneAccess access, [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
        [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring, OutboundGuard guard, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (projectId, alertId) = Ids(projectIdText, alertIdText);
        var path = await access.Tree.ProjectAsync(projectId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.AlertsManage, path, "Project", cancellationToken);
        var body = await RequestBody.ReadAsync(request, AlertRequest.Fields, cancellationToken);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, projectId, alertId, cancellationToken, forUpdate: true);
        // An update names only what changes: merge it over the stored alert and check the whole again.
        var merged = before.AsRequest();
        foreach (var (name, value) in body) merged[name] = value?.DeepClone();
        if (!body.ContainsKey("notification_details")) merged["notification_details"] = UnsealedShape(before.Details);
        var spec = await AlertRequest.ParseAsync(merged, Context(alertId, path!.OrgId, ring, guard, cpdb, before.Details), cancellationToken);

        // updated_at moves on every change: the controllers' sync reads it to push the definition to data planes.
        var after = await connection.QuerySingleAsync<AlertRow>(new CommandDefinition(
            $"""
            UPDATE alerts SET name = @Name, description = @Description, status = CASE
                    WHEN @Status = 'PAUSED' THEN 'PAUSED'
                    WHEN status IN ('TRIGGERED', 'RESOLVED') THEN status
                    ELSE 'ACTIVE' END,
                frequency = @Frequency, minimum_sample_size = @MinimumSampleSize, alert_type = @AlertType, aggregation = @Aggregation,
                event_filters = @filters::jsonb, event_metrics = @metrics::jsonb, thresholds = @thresholds::jsonb,
                notification_details = @details::jsonb, muted_until = @MutedUntil, recovery_seconds = @RecoverySeconds, updated_at = now()
            WHERE id = @id RETURNING {AlertRow.Columns}
            """, Parameters(spec, new { id = alertId }), transaction, cancellationToken: cancellationToken));
        var now = clock.GetUtcNow();
        var item = AlertItem.Of(after, now);
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(path.OrgId, caller, "alert.updated", TargetType, alertId.ToString(), AlertItem.Of(before, now), item), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(item));
    }

    private static async Task<Ok<Envelope<AlertItem>>> DeleteAsync(
        [FromRoute(Name = "project_id")] string projectIdText, [FromRoute(Name = "alert_id")] string alertIdText, ClaimsPrincipal principal,
        ControlPlaneAccess access, [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (projectId, alertId) = Ids(projectIdText, alertIdText);
        var path = await access.Tree.ProjectAsync(projectId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.AlertsManage, path, "Project", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, projectId, alertId, cancellationToken, forUpdate: true);
        var after = await connection.QuerySingleAsync<AlertRow>(new CommandDefinition(
            $"UPDATE alerts SET deleted_at = now(), updated_at = now() WHERE id = @alertId RETURNING {AlertRow.Columns}",
            new { alertId }, transaction, cancellationToken: cancellationToken));
        var now = clock.GetUtcNow();
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(path!.OrgId, caller, "alert.deleted", TargetType, alertId.ToString(), AlertItem.Of(before, now), null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(AlertItem.Of(after, now)));
    }

    private static async Task<Ok<PaginatedEnvelope<AlertTriggerItem>>> TriggersAsync(
        [FromRoute(Name = "project_id")] string projectIdText, [FromRoute(Name = "alert_id")] string alertIdText, HttpRequest request,
        ClaimsPrincipal principal, ControlPlaneAccess access, [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
        CancellationToken cancellationToken)
    {
        var (projectId, alertId) = Ids(projectIdText, alertIdText);
        await access.RequireAsync(principal, Permissions.AlertsRead, await access.Tree.ProjectAsync(projectId, cancellationToken), "Project", cancellationToken);
        var (page, limit) = Paging(request, 50);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await FindAsync(connection, null, projectId, alertId, cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM alert_triggers WHERE alert_id = @alertId", new { alertId }, cancellationToken: cancellationToken));
        var items = await TriggerPageAsync(connection, alertId, limit, (page - 1) * limit, cancellationToken);
        var totalPages = (total + limit - 1) / limit;
        return TypedResults.Ok(new PaginatedEnvelope<AlertTriggerItem>(true, items,
            new Pagination(page, limit, total, total, totalPages, page < totalPages, page > 1)));
    }

    private static async Task<IReadOnlyList<AlertTriggerItem>> TriggerPageAsync(NpgsqlConnection connection, Guid alertId, int limit, int offset, CancellationToken cancellationToken) =>
        [.. (await connection.QueryAsync<AlertTriggerRow>(new CommandDefinition(
            $"SELECT {AlertTriggerRow.Columns} FROM alert_triggers WHERE alert_id = @alertId ORDER BY triggered_time DESC, id DESC LIMIT @limit OFFSET @offset",
            new { alertId, limit, offset }, cancellationToken: cancellationToken))).Select(AlertTriggerItem.Of)];

    private static async Task<AlertRow> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid projectId, Guid alertId,
        CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
            $"SELECT {AlertRow.Columns} FROM alerts WHERE id = @alertId AND project_id = @projectId AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { alertId, projectId }, transaction, cancellationToken: cancellationToken))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");

    private static (Guid ProjectId, Guid AlertId) Ids(string projectIdText, string alertIdText) =>
        (RequestBody.RouteId(projectIdText, "Project"), RequestBody.RouteId(alertIdText, What));

    /// <summary>The stored details as a request would send them (secrets left out: the parser keeps the sealed ones).</summary>
    private static JsonObject UnsealedShape(JsonObject details)
    {
        var copy = (JsonObject)details.DeepClone();
        foreach (var (_, destination) in copy)
        {
            if (destination?["metadata"] is JsonObject metadata) metadata.Remove("secret_sealed");
            if (destination is JsonObject d && !d.ContainsKey("user_ids")) d["user_ids"] = new JsonArray();
        }
        return copy;
    }

    private static AlertRequest.Context Context(Guid alertId, Guid orgId, MasterKeyRing ring, OutboundGuard guard, NpgsqlDataSource cpdb, JsonObject? previous) =>
        new(alertId, ring, guard, async (ids, cancellationToken) =>
        {
            await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
            return [.. await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT user_id FROM org_members WHERE org_id = @orgId AND user_id = ANY(@ids)",
                new { orgId, ids = ids.ToArray() }, cancellationToken: cancellationToken))];
        }, previous);

    private static DynamicParameters Parameters(AlertSpec spec, object extra)
    {
        var parameters = new DynamicParameters(extra);
        parameters.AddDynamicParams(new
        {
            spec.Name, spec.Description, spec.Status, spec.Frequency, spec.MinimumSampleSize, spec.AlertType, spec.Aggregation,
            MutedUntil = spec.MutedUntil?.UtcDateTime, spec.RecoverySeconds,
            filters = spec.Filters.ToJsonString(),
            metrics = new JsonArray([.. spec.Projections.Select(p => (JsonNode)new JsonObject { ["projection"] = p, ["type"] = "float" })]).ToJsonString(),
            thresholds = JsonSerializer.Serialize(spec.Thresholds, Json),
            details = spec.NotificationDetails.ToJsonString(),
        });
        return parameters;
    }

    private static (int Page, int Limit) Paging(HttpRequest request, int defaultLimit)
    {
        var page = QueryInt(request, "page", 1, int.MaxValue / 1000, 1);
        var limit = QueryInt(request, "limit", 1, 100, defaultLimit);
        return (page, limit);
    }

    private static int QueryInt(HttpRequest request, string name, int min, int max, int fallback)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0) return fallback;
        return int.TryParse(text, out var value) && value >= min && value <= max
            ? value
            : throw ApiRequestException.BadRequest(name, $"{name} must be a whole number from {min} to {max}.");
    }

    private static string? Query(HttpRequest request, string name, IReadOnlyCollection<string> allowed)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0) return null;
        return allowed.Contains(text) ? text : throw ApiRequestException.BadRequest(name, $"{name} must be one of {string.Join(", ", allowed)}.");
    }
}
