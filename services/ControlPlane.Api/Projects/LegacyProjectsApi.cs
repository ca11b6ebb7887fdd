using System.Security.Claims;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.Contracts.Projects;
using HoneyHive.ControlPlane.Api.Keys;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authentication;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Projects;

/// <summary>
/// The legacy project routes of honeyhive-openapi.yaml (<c>POST/PUT/DELETE /v1/projects</c>, and <c>/projects</c> as
/// the official SDK calls them), which the data plane forwards here with the caller's credentials. They act on one
/// workspace: a project key's own (it needs the admin scope), a workspace-scoped control-plane key's, or the one a
/// user or org-wide key names with <c>?workspace_id=</c> (or the only one they manage projects in); with
/// projects:manage there. Projects of other workspaces are not found. Deletes are soft.
/// </summary>
public static class LegacyProjectsApi
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;
    private static readonly string[] Types = ["evaluation", "completion"];
    private static readonly string[] CreateFields = ["name", "description", "type"];
    private static readonly string[] UpdateFields = ["name", "new_name", "description", "type"];

    public static RouteGroupBuilder MapLegacyProjectsApi(this RouteGroupBuilder api)
    {
        foreach (var prefix in new[] { "/v1/projects", "/projects" })
        {
            var projects = api.MapGroup(prefix).WithTags("Projects (legacy)").WithMetadata(new ProjectKeysAccepted());
            projects.MapPost("", CreateAsync).Accepts<PostProjectRequest>("application/json");
            projects.MapPut("", UpdateAsync).Accepts<PutProjectRequest>("application/json");
            projects.MapDelete("", DeleteAsync);
        }
        return api;
    }

    private static async Task<Ok<LegacyProject>> CreateAsync(
        HttpContext context, string? workspace_id, ControlPlaneAccess access, ApiKeyStore keys,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (caller, workspace) = await WorkspaceAsync(context.User, workspace_id, access, keys, cancellationToken);
        var body = await JsonRequest.ReadAsync(context.Request, CreateFields, cancellationToken);
        var name = body.RequiredString("name", 1, MaxNameLength);
        var description = body.OptionalString("description", 0, MaxDescriptionLength) ?? "";
        var type = Type(body);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ProjectRow>(new CommandDefinition(
            """
            INSERT INTO projects (id, workspace_id, name, description) VALUES (@id, @workspace, @name, @description)
            ON CONFLICT (workspace_id, name) WHERE deleted_at IS NULL DO NOTHING
            RETURNING id AS Id, name AS Name, description AS Description, created_at AS CreatedAt, updated_at AS UpdatedAt
            """,
            new { id = Guid.CreateVersion7(), workspace = workspace.WorkspaceId, name, description }, transaction, cancellationToken: cancellationToken))
            ?? throw ApiRequestException.Conflict("name", $"A project named '{name}' already exists in this workspace.");
        var project = row.ToLegacy(workspace, type);
        // The audit records what is stored; 'type' is only echoed back (nothing keeps it), so it shows the default.
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(workspace.OrgId, caller, "project.created", "project", row.Id.ToString(), null, row.ToLegacy(workspace, null), Ip(context)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(project);
    }

    private static async Task<Ok<LegacyProject>> UpdateAsync(
        HttpContext context, string? workspace_id, ControlPlaneAccess access, ApiKeyStore keys,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (caller, workspace) = await WorkspaceAsync(context.User, workspace_id, access, keys, cancellationToken);
        var body = await JsonRequest.ReadAsync(context.Request, UpdateFields, cancellationToken);
        var name = body.RequiredString("name", 1, MaxNameLength);
        var newName = body.OptionalString("new_name", 1, MaxNameLength);
        var description = body.OptionalString("description", 0, MaxDescriptionLength);
        var type = Type(body);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, workspace, name, cancellationToken);
        if (newName is not null && newName != name && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM projects WHERE workspace_id = @workspace AND name = @newName AND deleted_at IS NULL)",
                new { workspace = workspace.WorkspaceId, newName }, transaction, cancellationToken: cancellationToken)))
            throw ApiRequestException.Conflict("new_name", $"A project named '{newName}' already exists in this workspace.");
        // updated_at moves so the controllers' sync sends the new name to the data planes.
        var row = await connection.QuerySingleAsync<ProjectRow>(new CommandDefinition(
            """
            UPDATE projects SET name = COALESCE(@newName, name), description = COALESCE(@description, description), updated_at = now()
            WHERE id = @id
            RETURNING id AS Id, name AS Name, description AS Description, created_at AS CreatedAt, updated_at AS UpdatedAt
            """, new { id = before.Id, newName, description }, transaction, cancellationToken: cancellationToken));
        var project = row.ToLegacy(workspace, type);
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(workspace.OrgId, caller, "project.updated", "project", row.Id.ToString(), before.ToLegacy(workspace, null), row.ToLegacy(workspace, null), Ip(context)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(project);
    }

    private static async Task<Ok<DeletedProject>> DeleteAsync(
        HttpContext context, string? name, string? workspace_id, ControlPlaneAccess access, ApiKeyStore keys,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var (caller, workspace) = await WorkspaceAsync(context.User, workspace_id, access, keys, cancellationToken);
        if (string.IsNullOrWhiteSpace(name)) throw ApiRequestException.BadRequest("name", "Name the project to delete: ?name=<project name>.");

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, workspace, name.Trim(), cancellationToken);
        // Soft: the row stays (its data on the data plane is not destroyed); the sync tells the data planes to drop it.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE projects SET deleted_at = now(), updated_at = now() WHERE id = @id", new { id = before.Id }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(workspace.OrgId, caller, "project.deleted", "project", before.Id.ToString(), before.ToLegacy(workspace, null), null, Ip(context)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new DeletedProject(before.Id.ToString(), before.Name, true));
    }

    /// <summary>The caller and the one workspace the request acts on, after checking the caller may manage its projects.</summary>
    private static async Task<(Caller Caller, TenancyPath Workspace)> WorkspaceAsync(
        ClaimsPrincipal user, string? workspaceQuery, ControlPlaneAccess access, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        var caller = await access.CallerAsync(user, cancellationToken);
        Guid? named = null;
        if (workspaceQuery is not null)
            named = Guid.TryParse(workspaceQuery, out var parsed) ? parsed : throw ApiRequestException.NotFound("workspace_id", "Workspace not found.");

        if (user.FindFirstValue(ControlPlaneAuthenticationHandler.KeyKindClaim) == "project")
        {
            // A project key acts in its own project's workspace and nowhere else.
            var project = Guid.Parse(user.FindFirstValue(ApiKeyIdentity.ProjectIdClaim)!);
            var path = await access.Tree.ProjectAsync(project, cancellationToken) ?? throw ApiRequestException.NotFound(null, "Project not found.");
            if (named is { } other && other != path.WorkspaceId) throw ApiRequestException.NotFound("workspace_id", "Workspace not found.");
            if (!ApiScopes.Allows(user.FindAll(ApiKeyIdentity.ScopeClaim).Select(c => c.Value), ApiScopes.Admin))
                throw ApiRequestException.Forbidden(null,
                    $"This route needs an API key with the '{ApiScopes.Admin}' scope (or an access token or control-plane key with '{Permissions.ProjectsManage}' on the workspace).");
            return (caller, new TenancyPath(path.OrgId, path.WorkspaceId));
        }

        var workspaceId = named ?? await OnlyWorkspaceAsync(caller, keys, access, cancellationToken);
        var workspace = await access.Tree.WorkspaceAsync(workspaceId, cancellationToken);
        ControlPlaneAccess.Require(caller, Permissions.ProjectsManage, workspace, "Workspace");
        return (caller, workspace!);
    }

    /// <summary>Without ?workspace_id=, the one workspace the caller manages projects in; several or none is a 400 naming workspace_id.</summary>
    private static async Task<Guid> OnlyWorkspaceAsync(Caller caller, ApiKeyStore keys, ControlPlaneAccess access, CancellationToken cancellationToken)
    {
        var candidates = new HashSet<Guid>(caller.Grants.Where(g => g.Scope == GrantScopes.Workspace).Select(g => g.Id));
        foreach (var org in caller.Grants.Where(g => g.Scope == GrantScopes.Org).Select(g => g.Id).Distinct())
            candidates.UnionWith(await keys.WorkspacesOfAsync(org, cancellationToken));
        var manageable = new List<Guid>();
        foreach (var id in candidates)
        {
            if (await access.Tree.WorkspaceAsync(id, cancellationToken) is { } path && GrantRules.Allows(caller.Grants, path, Permissions.ProjectsManage))
                manageable.Add(id);
        }
        return manageable.Count == 1
            ? manageable[0]
            : throw ApiRequestException.BadRequest("workspace_id", manageable.Count == 0
                ? $"You manage projects in no workspace ('{Permissions.ProjectsManage}'); ask an admin, or use a project key with the admin scope."
                : "You manage projects in several workspaces: name one with ?workspace_id=<workspace id>.");
    }

    private static async Task<ProjectRow> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TenancyPath workspace, string name, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<ProjectRow>(new CommandDefinition(
            """
            SELECT id AS Id, name AS Name, description AS Description, created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM projects WHERE workspace_id = @workspace AND name = @name AND deleted_at IS NULL
            FOR UPDATE
            """, new { workspace = workspace.WorkspaceId, name }, transaction, cancellationToken: cancellationToken))
        ?? throw ApiRequestException.NotFound("name", $"No project named '{name}' in this workspace.");

    private static string? Type(JsonRequest body)
    {
        var type = body.OptionalString("type", 1, 20);
        return type is null || Types.Contains(type, StringComparer.Ordinal)
            ? type
            : throw ApiRequestException.BadRequest("type", "'type' must be 'evaluation' or 'completion'.");
    }

    private static string? Ip(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private sealed record ProjectRow(Guid Id, string Name, string Description, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public LegacyProject ToLegacy(TenancyPath workspace, string? type) => new(Id.ToString(), Name, Description, type ?? "evaluation",
            workspace.OrgId.ToString(), workspace.WorkspaceId!.Value.ToString(),
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)), new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
    }
}

/// <summary>The answer to DELETE /v1/projects.</summary>
public sealed record DeletedProject(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("deleted")] bool Deleted);
