using System.Security.Claims;
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

/// <summary>Projects of the control-plane spec: the containers events, datasets and evaluations are logged against.</summary>
public static class ProjectsApi
{
    public const string TargetType = "project";
    private const string What = "Project";
    // retention_days answers what the data planes apply: the project's own setting, else its org's default.
    private const string Columns =
        """
        id, name, description, created_at AS CreatedAt, updated_at AS UpdatedAt,
        COALESCE(retention_days, (SELECT o.default_retention_days FROM workspaces w JOIN orgs o ON o.id = w.org_id WHERE w.id = projects.workspace_id)) AS RetentionDays,
        CASE WHEN retention_days IS NULL THEN 'org' ELSE 'project' END AS RetentionSource
        """;
    private static readonly string[] CreateFields = ["name", "description", "project_creator", "retention_days"];
    private static readonly string[] UpdateFields = ["name", "description", "retention_days"];

    public static void MapProjectsApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/workspaces/{workspace_id}/projects", CreateAsync).Accepts<PostProjectRequest>("application/json");
        api.MapGet("/v1/workspaces/{workspace_id}/projects", ListAsync);
        api.MapGet("/v1/projects/{project_id}", GetAsync);
        api.MapPut("/v1/projects/{project_id}", UpdateAsync).Accepts<PutProjectRequest>("application/json");
        api.MapDelete("/v1/projects/{project_id}", DeleteAsync);
    }

    private static async Task<Ok<Envelope<ProjectItem>>> CreateAsync(
        [FromRoute(Name = "workspace_id")] string workspaceIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var workspaceId = RequestBody.RouteId(workspaceIdText, "Workspace");
        var path = await access.Tree.WorkspaceAsync(workspaceId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.ProjectsManage, path, "Workspace", cancellationToken);
        var body = await RequestBody.ReadAsync(request, CreateFields, cancellationToken);
        var name = RequestBody.RequiredString(body, "name", TenancyNames.MaxNameLength);
        var description = RequestBody.String(body, "description", TenancyNames.MaxDescriptionLength) ?? "";
        var creatorEmail = RequestBody.String(body, "project_creator", 254);
        var retentionDays = Retention.Days(body, "retention_days", nullable: true, out _);
        var orgId = path!.OrgId;

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var creator = await Creators.ResolveAsync(connection, transaction, caller, creatorEmail, "project_creator", orgId, workspaceId, cancellationToken);
        await NameFreeAsync(connection, transaction, workspaceId, name, null, cancellationToken);
        var item = await connection.QuerySingleOrDefaultAsync<ProjectItem>(new CommandDefinition(
            $"""
            INSERT INTO projects (id, workspace_id, name, description, retention_days) VALUES (@id, @workspaceId, @name, @description, @retentionDays)
            ON CONFLICT DO NOTHING RETURNING {Columns}
            """, new { id = Guid.CreateVersion7(), workspaceId, name, description, retentionDays }, transaction, cancellationToken: cancellationToken))
            ?? throw ApiRequestException.Conflict("name", "This workspace already has a project with this name.");
        if (creator is { } user) await Creators.BindAsync(connection, transaction, orgId, user, GrantScopes.Project, item.Id, cancellationToken);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "project.created", TargetType, item.Id.ToString(), null, item), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<ProjectItem>(item));
    }

    private static async Task NameFreeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid workspaceId, string name, Guid? except, CancellationToken cancellationToken)
    {
        var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM projects WHERE workspace_id = @workspaceId AND name = @name AND deleted_at IS NULL AND id IS DISTINCT FROM @except)",
            new { workspaceId, name, except }, transaction, cancellationToken: cancellationToken));
        if (taken) throw ApiRequestException.Conflict("name", "This workspace already has a project with this name.");
    }

    private static async Task<Ok<Envelope<ProjectItem[]>>> ListAsync(
        [FromRoute(Name = "workspace_id")] string workspaceIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var workspaceId = RequestBody.RouteId(workspaceIdText, "Workspace");
        var path = await access.Tree.WorkspaceAsync(workspaceId, cancellationToken);
        var caller = await access.CallerAsync(principal, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ProjectItem>(new CommandDefinition(
            $"SELECT {Columns} FROM projects WHERE workspace_id = @workspaceId AND deleted_at IS NULL ORDER BY created_at, id",
            new { workspaceId }, cancellationToken: cancellationToken))).ToList();
        // Only the projects the caller may read (a project-bound member sees theirs); reaching none of them and not
        // the workspace either reads as "not found".
        ProjectItem[] visible = path is null ? [] :
            [.. rows.Where(r => GrantRules.Allows(caller.Grants, TenancyPath.ForProject(path.OrgId, workspaceId, r.Id), Permissions.ProjectsRead))];
        if (visible.Length == 0) ControlPlaneAccess.Require(caller, Permissions.WorkspacesRead, path, "Workspace");
        return TypedResults.Ok(Envelope.Of<ProjectItem[]>(visible));
    }

    private static async Task<Ok<Envelope<ProjectItem>>> GetAsync(
        [FromRoute(Name = "project_id")] string idText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        await access.RequireAsync(principal, Permissions.ProjectsRead, await access.Tree.ProjectAsync(id, cancellationToken), What, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<ProjectItem>(await FindAsync(connection, null, id, cancellationToken)));
    }

    private static async Task<Ok<Envelope<ProjectItem>>> UpdateAsync(
        [FromRoute(Name = "project_id")] string idText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.ProjectAsync(id, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.ProjectsManage, path, What, cancellationToken);
        var body = await RequestBody.ReadAsync(request, UpdateFields, cancellationToken);
        var name = RequestBody.String(body, "name", TenancyNames.MaxNameLength);
        if (name is { Length: 0 }) throw ApiRequestException.BadRequest("name", "name must not be empty.");
        var description = RequestBody.String(body, "description", TenancyNames.MaxDescriptionLength);
        // null clears the project's own retention: it follows its org's default again.
        var retentionDays = Retention.Days(body, "retention_days", nullable: true, out var retentionSent);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        var retentionChanges = retentionSent && (retentionDays is null ? before.RetentionSource != "org" : before.RetentionSource != "project" || before.RetentionDays != retentionDays);
        if ((name ?? before.Name) == before.Name && (description ?? before.Description) == before.Description && !retentionChanges)
            return TypedResults.Ok(Envelope.Of<ProjectItem>(before));
        if (name is not null && name != before.Name) await NameFreeAsync(connection, transaction, path!.WorkspaceId!.Value, name, id, cancellationToken);
        // updated_at moves on every change: the controllers' sync reads it to push projects to data planes.
        var after = await connection.QuerySingleAsync<ProjectItem>(new CommandDefinition(
            $"""
            UPDATE projects SET name = COALESCE(@name, name), description = COALESCE(@description, description),
                retention_days = CASE WHEN @retentionSent THEN @retentionDays ELSE retention_days END, updated_at = now()
            WHERE id = @id RETURNING {Columns}
            """, new { id, name, description, retentionSent, retentionDays }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "project.updated", TargetType, id.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<ProjectItem>(after));
    }

    private static async Task<Ok<Envelope<ProjectItem>>> DeleteAsync(
        [FromRoute(Name = "project_id")] string idText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.ProjectAsync(id, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.ProjectsManage, path, What, cancellationToken);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        var after = await connection.QuerySingleAsync<ProjectItem>(new CommandDefinition(
            $"UPDATE projects SET deleted_at = now(), updated_at = now() WHERE id = @id RETURNING {Columns}",
            new { id }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "project.deleted", TargetType, id.ToString(), before, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<ProjectItem>(after));
    }

    private static async Task<ProjectItem> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<ProjectItem>(new CommandDefinition(
            $"SELECT {Columns} FROM projects WHERE id = @id AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { id }, transaction, cancellationToken: cancellationToken))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");
}
