using System.Security.Claims;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Contracts.Alerts;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// The alert engine's own history on this data plane: every transition it recorded for an alert of the caller's project,
/// newest first (the latest 1,000), with whether it was muted and when it was published and reported. Another project's alert answers 404
/// like an unknown one. The CP keeps the same history as alert triggers once reported.
/// </summary>
public static class AlertsApi
{
    public const int MaxTransitions = 1000;

    public static void MapAlertsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/alerts/{alert_id}/transitions", TransitionsAsync).RequirePermission(Permissions.EventsRead);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> TransitionsAsync(
        ClaimsPrincipal user, [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
        [FromRoute(Name = "alert_id")] string alertId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(alertId, out var id)) return ApiResults.NotFound("Alert");
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var state = await connection.QuerySingleOrDefaultAsync<(Guid Id, string? Stage, DateTime? StageSince, DateTime? LastRunAt, string? LastResult, string? LastError)>(new CommandDefinition(
            """
            SELECT a.id, s.stage, s.stage_since, s.last_run_at, s.last_result::text, s.last_error
            FROM alerts a LEFT JOIN alert_states s ON s.alert_id = a.id
            WHERE a.id = @id AND a.project_id = @project
            """, new { id, project = user.ProjectId() }, cancellationToken: cancellationToken));
        if (state.Id == Guid.Empty) return ApiResults.NotFound("Alert");

        var rows = await connection.QueryAsync<(Guid Id, string From, string To, string Result, bool Muted, DateTime OccurredAt, DateTime? PublishedAt, DateTime? ReportedAt)>(new CommandDefinition(
            """
            SELECT id, from_stage, to_stage, result::text, muted, occurred_at, published_at, reported_at
            FROM alert_transitions WHERE alert_id = @id AND project_id = @project
            ORDER BY occurred_at DESC, id DESC LIMIT @max
            """, new { id, project = user.ProjectId(), max = MaxTransitions }, cancellationToken: cancellationToken));

        var transitions = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["id"] = r.Id.ToString(),
            ["alert_id"] = id.ToString(),
            ["from_stage"] = r.From,
            ["to_stage"] = r.To,
            ["stage"] = AlertStageChanged.StageOf(r.To),
            ["result"] = JsonNode.Parse(r.Result),
            ["muted"] = r.Muted,
            ["occurred_at"] = Utc(r.OccurredAt),
            ["published_at"] = r.PublishedAt is { } p ? Utc(p) : null,
            ["reported_at"] = r.ReportedAt is { } rep ? Utc(rep) : null,
        })]);
        return TypedResults.Ok(new JsonObject
        {
            ["alert_id"] = id.ToString(),
            ["stage"] = state.Stage ?? AlertNames.StageOk,
            ["stage_since"] = state.StageSince is { } since ? Utc(since) : null,
            ["last_run_at"] = state.LastRunAt is { } run ? Utc(run) : null,
            ["last_result"] = state.LastResult is { } result ? JsonNode.Parse(result) : null,
            ["last_error"] = state.LastError,
            ["transitions"] = transitions,
        });
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
