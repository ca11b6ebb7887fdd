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

/// <summary>Virtual data planes: an org's tenant boundaries, each on a physical cluster, holding workspaces.</summary>
public static class VirtualDataplanesApi
{
    public const string TargetType = "virtual_dataplane";
    private const string What = "Virtual data plane";
    private const string Columns = "id, name, cluster_id AS ClusterId, created_at AS CreatedAt, updated_at AS UpdatedAt";
    private static readonly string[] CreateFields = ["name", "slug", "cluster_id", "dataplane_creator"];
    private static readonly string[] UpdateFields = ["name"];

    public static void MapVirtualDataplanesApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/orgs/{org_id}/virtual_dataplanes", CreateAsync).Accepts<PostVirtualDataplaneRequest>("application/json");
        api.MapGet("/v1/orgs/{org_id}/virtual_dataplanes", ListAsync);
        api.MapGet("/v1/virtual_dataplanes/{virtual_dataplane_id}", GetAsync);
        api.MapPut("/v1/virtual_dataplanes/{virtual_dataplane_id}", UpdateAsync).Accepts<PutVirtualDataplaneRequest>("application/json");
        api.MapDelete("/v1/virtual_dataplanes/{virtual_dataplane_id}", DeleteAsync);
    }

    private static async Task<Ok<Envelope<VirtualDataplaneItem>>> CreateAsync(
        [FromRoute(Name = "org_id")] string orgIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var caller = await access.RequireAsync(principal, Permissions.DataplanesManage, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        var body = await RequestBody.ReadAsync(request, CreateFields, cancellationToken);
        var name = TenancyNames.DisplayName(RequestBody.RequiredString(body, "name", TenancyNames.MaxNameLength), "name");
        var slug = RequestBody.String(body, "slug", 200) is { } s ? TenancyNames.Slug(s, "slug") : TenancyNames.DerivedSlug(name);
        var clusterId = RequestBody.String(body, "cluster_id", 100) is { } c ? TenancyNames.ClusterId(c, "cluster_id") : null;
        var creator = RequestBody.String(body, "dataplane_creator", 254);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A caller who creates one needs dataplanes:manage on the org already; roles are not bound on data planes,
        // so the creator (validated like the spec's) receives nothing more: the "no role on creation" case.
        if (caller.UserId is null) await Creators.ResolveAsync(connection, transaction, caller, creator, "dataplane_creator", orgId, null, cancellationToken);
        else if (creator is not null) throw ApiRequestException.BadRequest("dataplane_creator", "dataplane_creator is only accepted from API keys; a signed-in user who creates it becomes its creator.");

        if (clusterId is null)
        {
            var clusters = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT DISTINCT cluster_id FROM virtual_dataplanes WHERE org_id = @orgId AND deleted_at IS NULL",
                new { orgId }, transaction, cancellationToken: cancellationToken))).ToList();
            if (clusters.Count > 1)
                throw ApiRequestException.BadRequest("cluster_id", "cluster_id is required: this organization's virtual data planes span more than one cluster.");
            clusterId = clusters.SingleOrDefault() ?? "local";
        }

        await SlugsFreeAsync(connection, transaction, slug, cancellationToken);
        var item = await connection.QuerySingleOrDefaultAsync<VirtualDataplaneItem>(new CommandDefinition(
            $"""
            INSERT INTO virtual_dataplanes (id, org_id, name, slug, cluster_id) VALUES (@id, @orgId, @name, @slug, @clusterId)
            ON CONFLICT DO NOTHING RETURNING {Columns}
            """, new { id = Guid.CreateVersion7(), orgId, name, slug, clusterId }, transaction, cancellationToken: cancellationToken))
            ?? throw ApiRequestException.Conflict("slug", "slug is already taken by another scope.");
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "virtual_dataplane.created", TargetType, item.Id.ToString(), null, item), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<VirtualDataplaneItem>(item));
    }

    /// <summary>Slugs are unique among live data planes and workspaces together ("another scope").</summary>
    internal static async Task SlugsFreeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string slug, CancellationToken cancellationToken)
    {
        var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            SELECT EXISTS (SELECT 1 FROM virtual_dataplanes WHERE slug = @slug AND deleted_at IS NULL)
                OR EXISTS (SELECT 1 FROM workspaces WHERE slug = @slug AND deleted_at IS NULL)
            """, new { slug }, transaction, cancellationToken: cancellationToken));
        if (taken) throw ApiRequestException.Conflict("slug", "slug is already taken by another scope.");
    }

    private static async Task<Ok<Envelope<VirtualDataplaneItem[]>>> ListAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        await access.RequireAsync(principal, Permissions.DataplanesRead, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var items = await connection.QueryAsync<VirtualDataplaneItem>(new CommandDefinition(
            $"SELECT {Columns} FROM virtual_dataplanes WHERE org_id = @orgId AND deleted_at IS NULL ORDER BY created_at, id",
            new { orgId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(Envelope.Of<VirtualDataplaneItem[]>([.. items]));
    }

    private static async Task<Ok<Envelope<VirtualDataplaneItem>>> GetAsync(
        [FromRoute(Name = "virtual_dataplane_id")] string idText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        await access.RequireAsync(principal, Permissions.DataplanesRead, await access.Tree.DataplaneAsync(id, cancellationToken), What, cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<VirtualDataplaneItem>(await FindAsync(connection, null, id, cancellationToken)));
    }

    private static async Task<Ok<Envelope<VirtualDataplaneItem>>> UpdateAsync(
        [FromRoute(Name = "virtual_dataplane_id")] string idText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.DataplaneAsync(id, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.DataplanesManage, path, What, cancellationToken);
        var body = await RequestBody.ReadAsync(request, UpdateFields, cancellationToken);
        var name = RequestBody.String(body, "name", TenancyNames.MaxNameLength) is { } n ? TenancyNames.DisplayName(n, "name") : null;

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        // The spec: omitting name, or sending the current one, changes nothing.
        if (name is null || name == before.Name) return TypedResults.Ok(Envelope.Of<VirtualDataplaneItem>(before));
        var after = await connection.QuerySingleAsync<VirtualDataplaneItem>(new CommandDefinition(
            $"UPDATE virtual_dataplanes SET name = @name, updated_at = now() WHERE id = @id RETURNING {Columns}",
            new { id, name }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "virtual_dataplane.updated", TargetType, id.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<VirtualDataplaneItem>(after));
    }

    private static async Task<Ok<Envelope<VirtualDataplaneItem>>> DeleteAsync(
        [FromRoute(Name = "virtual_dataplane_id")] string idText, [FromQuery(Name = "dangerously_delete_child_scopes")] string? cascadeText,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var id = RequestBody.RouteId(idText, What);
        var path = await access.Tree.DataplaneAsync(id, cancellationToken);
        var caller = await access.RequireAsync(principal, Permissions.DataplanesManage, path, What, cancellationToken);
        var cascade = Cascade(cascadeText);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await FindAsync(connection, transaction, id, cancellationToken, forUpdate: true);
        var children = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM workspaces WHERE virtual_dataplane_id = @id AND deleted_at IS NULL", new { id }, transaction, cancellationToken: cancellationToken));
        if (children > 0 && !cascade)
            throw ApiRequestException.Conflict("dangerously_delete_child_scopes",
                $"The virtual data plane still has {children} active workspace(s); set dangerously_delete_child_scopes=true to archive them and their projects too.");

        // Projects' updated_at moves too: the controllers' sync reads it to carry the deletion to data planes.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE projects SET deleted_at = now(), updated_at = now()
            WHERE deleted_at IS NULL AND workspace_id IN (SELECT id FROM workspaces WHERE virtual_dataplane_id = @id AND deleted_at IS NULL);
            UPDATE workspaces SET deleted_at = now(), updated_at = now() WHERE virtual_dataplane_id = @id AND deleted_at IS NULL;
            """, new { id }, transaction, cancellationToken: cancellationToken));
        var after = await connection.QuerySingleAsync<VirtualDataplaneItem>(new CommandDefinition(
            $"UPDATE virtual_dataplanes SET deleted_at = now(), updated_at = now() WHERE id = @id RETURNING {Columns}",
            new { id }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "virtual_dataplane.deleted", TargetType, id.ToString(), before, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<VirtualDataplaneItem>(after));
    }

    /// <summary><c>dangerously_delete_child_scopes</c>: absent is false; anything but true or false is a 400.</summary>
    internal static bool Cascade(string? value) => value switch
    {
        null => false,
        _ when value.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
        _ when value.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
        _ => throw ApiRequestException.BadRequest("dangerously_delete_child_scopes", "dangerously_delete_child_scopes must be true or false."),
    };

    private static async Task<VirtualDataplaneItem> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<VirtualDataplaneItem>(new CommandDefinition(
            $"SELECT {Columns} FROM virtual_dataplanes WHERE id = @id AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { id }, transaction, cancellationToken: cancellationToken))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");
}
