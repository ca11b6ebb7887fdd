using System.Security.Claims;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>GET /v1/projects (and the SDK's legacy /projects): the projects the caller's key may see.</summary>
public static class ProjectsApi
{
    public static void MapProjectsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/projects", ListAsync).RequirePermission(Permissions.ProjectsRead);
        app.MapGet("/projects", ListAsync).RequirePermission(Permissions.ProjectsRead);
    }

    private static async Task<Ok<ProjectItem[]>> ListAsync(
        ClaimsPrincipal user,
        [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
        string? name,
        CancellationToken cancellationToken)
    {
        // The caller sees the one project its key belongs to or its access token selected.
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ProjectItem>(
            """
            SELECT id::text AS Id, name AS Name, description AS Description, org_id::text AS OrgId, workspace_id::text AS WorkspaceId
            FROM projects WHERE id = @project AND (@name::text IS NULL OR name = @name)
            """,
            new { project = user.ProjectId(), name });
        return TypedResults.Ok(rows.ToArray());
    }

    public sealed record ProjectItem(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("org_id")] string OrgId,
        [property: JsonPropertyName("workspace_id")] string WorkspaceId)
    {
        [JsonPropertyName("type")]
        public string Type => "evaluation";
    }
}
