using System.Security.Claims;
using Dapper;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// The <c>{project_id}</c> of a route under <c>/v1/projects/{project_id}/…</c> that acts on the caller's own project
/// only (archive restore, data keys): any other id is a 404 like an unknown one, so another project's existence is
/// never revealed, and the project must be on this data plane.
/// </summary>
public static class OwnProject
{
    /// <param name="refusal">The 404's text for an id that is not the caller's: what the caller may act on instead.</param>
    public static async Task<Guid> RequireAsync(
        ClaimsPrincipal user, string projectId, NpgsqlDataSource dpdb, string refusal, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(projectId, out var project) || project != user.ProjectId())
            throw ApiRequestException.NotFound("project_id", refusal);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var known = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM projects WHERE id = @project)", new { project }, cancellationToken: cancellationToken));
        return known ? project : throw ApiRequestException.NotFound("project_id", "Project not found on this data plane.");
    }
}
