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

/// <summary>Workspaces: one team's or environment's projects, inside a virtual data plane.</summary>
public static class WorkspacesApi
{
    public const string TargetType = "workspace";
    private const string What = "Workspace";
    private const string Columns = "id, name, description, created_at AS CreatedAt, updated_at AS UpdatedAt";
    private static readonly string[] CreateFields = ["name", "slug", "description", "workspace_creator"];
    private static readonly string[] UpdateFields = ["name", "description"];

    public static void MapWorkspacesApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/virtual_dataplanes/{virtual_dataplane_id}/workspaces", CreateAsync).Accepts<PostWorkspaceRequest>("application/json");
        api.MapGet("/v1/virtual_dataplanes/{virtual_dataplane_id}/workspaces", ListAsync);
        api.MapGet("/v1/workspaces/{workspace_id}", GetAsync);
        api.MapPut("/v1/workspaces/{workspace_id}", UpdateAsync).Accepts<PutWorkspaceRequest>("application/json");
        api.MapDelete("/v1/workspaces/{workspace_id}", DeleteAsync);
    }

    private static async Task<Ok<Envelope<WorkspaceItem>>> CreateAsync(
        [FromRoute(Name = "virtual_dataplane_id")] string dataplaneIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var dataplaneId = RequestBody.RouteId(dataplaneIdText, "Virtual data plane");
        // Creating a workspace needs workspaces:manage on the org (a data plane's path is its org's).
        var path = await access.Tree.DataplaneAsync(dataplaneId, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.WorkspacesManage, path, "Virtual data plane", cancellationToken);
        var body = await RequestBody.ReadAsync(request, CreateFields, cancellationToken);
        var name = TenancyNames.DisplayName(RequestBody.RequiredString(body, "name", TenancyNames.MaxNameLength), "name");
        var slug = RequestBody.String(body, "slug", 200) is { } s ? TenancyNames.Slug(s, "slug") : TenancyNames.DerivedSlug(name);
        var description = RequestBody.String(body, "description", TenancyNames.MaxDescriptionLength) ?? "";
        var creatorEmail = RequestBody.String(body, "workspace_creator", 254);
        var orgId = path!.OrgId;

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var creator = await Creators.ResolveAsync(connection, transaction, caller, creatorEmail, "workspace_creator", orgId, null, cancellationToken);
        await VirtualDataplanesApi.SlugsFreeAsync(connection, transaction, slug, cancellationToken);
        await NameFreeAsync(connection, transaction, orgId, name, null, cancellationToken);
        var item = await connection.QuerySingleOrDefaultAsync<WorkspaceItem>(new CommandDefinition(
            $"""
            INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug, description) VALUES (@id, @orgId, @dataplaneId, @name, @slug, @description)
            ON CONFLICT DO NOTHING RETURNING {Columns}
            """, new { id = Guid.CreateVersion7(), orgId, dataplaneId, name, slug, description }, transaction, cancellationToken: cancellationToken))
            ?? throw ApiRequestException.Conflict("name", "A workspace with this name or slug was created at the same moment; try again.");
        if (creator is { } user) await Creators.BindAsync(connection, transaction, orgId, user, GrantScopes.Workspace, item.Id, cancellationToken);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "workspace.created", TargetType, item.Id.ToString(), null, item), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<WorkspaceItem>(item));
    }

    private static async Task NameFreeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, string name, Guid? except, CancellationToken cancellationToken)
    {
        var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM workspaces WHERE org_id = @orgId AND name = @name AND deleted_at IS NULL AND id IS DISTINCT FROM @except)",
            new { orgId, name, except }, transaction, cancellationToken: cancellationToken));
        if (taken) throw ApiRequestException.Conflict("name", "This organization already has a workspace with this name.");
    }

    private static async Task<Ok<Envelope<WorkspaceItem[]>>> ListAsync(
        [FromRoute(Name = "virtual_dataplane_id")] string dataplaneIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var dataplaneId = RequestBody.RouteId(dataplaneIdText, "Virtual data plane");
        var path = await access.Tree.DataplaneAsync(dataplaneId, cancellationToken);
        var caller = await access.CallerAsync(principal, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(Guid Id, string Name, string Description, DateTime CreatedAt, DateTime UpdatedAt)>(new CommandDefinition(
            $"SELECT {Columns} FROM workspaces WHERE virtual_dataplane_id = @dataplaneId AND deleted_at IS NULL ORDER BY created_at, id",
            new { dataplaneId }, cancellationToken: cancellationToken))).ToList();
        // Only the workspaces the caller may read; a caller who reaches none of them and cannot read the data plane
        // is told it does not exist.
        WorkspaceItem[] visible = path is null ? [] : [.. rows
            .Where(r => GrantRules.Allows(caller.Grants, new TenancyPath(path.OrgId, r.Id), Permissions.WorkspacesRead))
            .Select(r => new WorkspaceItem(r.Id, r.Name, r.Description, r.CreatedAt, r.UpdatedAt))];
        if (visible.Length == 0) ControlPlaneAccess.Require(caller, Permissions.DataplanesRead, path, "Virtual data plane");
        return TypedResults.Ok(Envelope.Of<WorkspaceItem[]>(visible));
    }

    private static async Task<Ok<Envelope<WorkspaceItem>>> GetAsync(
        [FromRoute(Name = "workspace_id")] string idText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        await access.RequireAsync(principal, Permissions.WorkspacesRead, await access.Tree.WorkspaceAsync(id, cancellationToken), What, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<WorkspaceItem>(await FindAsync(connection, null, id, cancellationToken)));
    }

    private static async Task<Ok<Envelope<WorkspaceItem>>> UpdateAsync(
        [FromRoute(Name = "workspace_id")] string idText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.WorkspaceAsync(id, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.WorkspacesManage, path, What, cancellationToken);
        var body = await RequestBody.ReadAsync(request, UpdateFields, cancellationToken);
        var name = RequestBody.String(body, "name", TenancyNames.MaxNameLength) is { } n ? TenancyNames.DisplayName(n, "name") : null;
        var description = RequestBody.String(body, "description", TenancyNames.MaxDescriptionLength);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        if ((name ?? before.Name) == before.Name && (description ?? before.Description) == before.Description)
            return TypedResults.Ok(Envelope.Of<WorkspaceItem>(before));
        if (name is not null && name != before.Name) await NameFreeAsync(connection, transaction, path!.OrgId, name, id, cancellationToken);
        var after = await connection.QuerySingleAsync<WorkspaceItem>(new CommandDefinition(
            $"""
            UPDATE workspaces SET name = COALESCE(@name, name), description = COALESCE(@description, description), updated_at = now()
            WHERE id = @id RETURNING {Columns}
            """, new { id, name, description }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "workspace.updated", TargetType, id.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<WorkspaceItem>(after));
    }

    private static async Task<Ok<Envelope<WorkspaceItem>>> DeleteAsync(
        [FromRoute(Name = "workspace_id")] string idText, [FromQuery(Name = "dangerously_delete_child_scopes")] string? cascadeText,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.WorkspaceAsync(id, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.WorkspacesManage, path, What, cancellationToken);
        var cascade = VirtualDataplanesApi.Cascade(cascadeText);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        var children = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM projects WHERE workspace_id = @id AND deleted_at IS NULL", new { id }, transaction, cancellationToken: cancellationToken));
        if (children > 0 && !cascade)
            throw ApiRequestException.Conflict("dangerously_delete_child_scopes",
                $"The workspace still has {children} active project(s); set dangerously_delete_child_scopes=true to archive them too.");

        // Projects' updated_at moves too: the controllers' sync reads it to carry the deletion to data planes.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE projects SET deleted_at = now(), updated_at = now() WHERE workspace_id = @id AND deleted_at IS NULL",
            new { id }, transaction, cancellationToken: cancellationToken));
        var after = await connection.QuerySingleAsync<WorkspaceItem>(new CommandDefinition(
            $"UPDATE workspaces SET deleted_at = now(), updated_at = now() WHERE id = @id RETURNING {Columns}",
            new { id }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "workspace.deleted", TargetType, id.ToString(), before, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<WorkspaceItem>(after));
    }

    private static async Task<WorkspaceItem> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<WorkspaceItem>(new CommandDefinition(
            $"SELECT {Columns} FROM workspaces WHERE id = @id AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { id }, transaction, cancellationToken: cancellationToken))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");
}
