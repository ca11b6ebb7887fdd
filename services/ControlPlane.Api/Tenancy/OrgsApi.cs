using System.Security.Claims;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>
/// The orgs a caller belongs to (<see cref="ControlPlaneAccess.MemberOrgsAsync"/>): a user's memberships, or an API key's one
/// org; and the org's settings (its default retention).
/// </summary>
public static class OrgsApi
{
    public const string TargetType = "org";

    private static readonly string[] UpdateFields = ["default_retention_days"];

    public static void MapOrgsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs", ListAsync);
        api.MapGet("/v1/orgs/{org_id}", GetAsync);
        api.MapPut("/v1/orgs/{org_id}", UpdateAsync).Accepts<PutOrgRequest>("application/json");
    }

    /// <summary>
    /// The org's default retention. It governs every project without its own, so it takes what managing those projects
    /// takes (projects:manage, org-wide). The projects it covers are stamped updated_at so the controllers' sync carries
    /// their new retention to the data planes.
    /// </summary>
    private static async Task<Ok<Envelope<OrgItem>>> UpdateAsync(
        [FromRoute(Name = "org_id")] string orgIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var caller = await access.RequireAsync(principal, Permissions.ProjectsManage, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        var body = await RequestBody.ReadAsync(request, UpdateFields, cancellationToken);
        var days = Retention.Days(body, "default_retention_days", nullable: false, out var sent);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await connection.QuerySingleAsync<int>(new CommandDefinition(
            "SELECT default_retention_days FROM orgs WHERE id = @orgId FOR UPDATE", new { orgId }, transaction, cancellationToken: cancellationToken));
        if (sent && days != before)
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE orgs SET default_retention_days = @days WHERE id = @orgId",
                new { orgId, days }, transaction, cancellationToken: cancellationToken));
            // The projects that follow this default reach the data planes again by the sync triggers (cpdb migration 0012).
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "org.updated", TargetType, orgId.ToString(),
                new { default_retention_days = before }, new { default_retention_days = days }), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<OrgItem>((await FindAsync(cpdb, caller, [orgId], cancellationToken)).Single()));
    }

    private static async Task<Ok<Envelope<OrgItem[]>>> ListAsync(
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var caller = await access.CallerAsync(principal, cancellationToken);
        var orgs = await access.MemberOrgsAsync(principal, cancellationToken);
        return TypedResults.Ok(Envelope.Of<OrgItem[]>([.. await FindAsync(cpdb, caller, orgs, cancellationToken)]));
    }

    private static async Task<Ok<Envelope<OrgItem>>> GetAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var (caller, _) = await access.RequireMemberAsync(principal, orgId, cancellationToken);
        return TypedResults.Ok(Envelope.Of<OrgItem>((await FindAsync(cpdb, caller, [orgId], cancellationToken)).Single()));
    }

    /// <summary>The orgs of <paramref name="orgIds"/>, with a user caller's org-wide role in each (null for an API key).</summary>
    private static async Task<IEnumerable<OrgItem>> FindAsync(NpgsqlDataSource cpdb, Caller caller, IReadOnlyList<Guid> orgIds, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QueryAsync<OrgItem>(new CommandDefinition(
            """
            SELECT o.id, o.name, m.role, o.created_at AS CreatedAt, o.default_retention_days AS DefaultRetentionDays FROM orgs o
            LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = @userId
            WHERE o.id = ANY(@orgIds) ORDER BY o.created_at, o.id
            """, new { userId = caller.UserId, orgIds = orgIds.ToArray() }, cancellationToken: cancellationToken));
    }
}
