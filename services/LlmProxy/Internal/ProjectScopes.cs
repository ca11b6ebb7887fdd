using Dapper;
using HoneyHive.DataPlane.Api;
using HoneyHive.LlmProxy.Calls;
using Npgsql;

namespace HoneyHive.LlmProxy.Internal;

/// <summary>
/// The call scope of a project for calls the platform makes itself (no API key, so no claims): its workspace, whose
/// provider keys and aliases the call uses, and its organisation, read from dpdb's <c>projects</c> (synced from the
/// control plane). Null when the project is not known to this data plane.
/// </summary>
public sealed class ProjectScopes([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    public async Task<CallScope?> ForAsync(Guid project, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ProjectRow>(new CommandDefinition(
            "SELECT workspace_id AS WorkspaceId, org_id AS OrgId FROM projects WHERE id = @project",
            new { project }, cancellationToken: cancellationToken));
        return row is null ? null : new CallScope(project, row.WorkspaceId, row.OrgId);
    }

    private sealed class ProjectRow
    {
        public Guid WorkspaceId { get; set; }
        public Guid OrgId { get; set; }
    }
}
