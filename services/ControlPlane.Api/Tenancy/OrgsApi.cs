using System.Security.Claims;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>The orgs a caller belongs to (<see cref="ControlPlaneAccess.MemberOrgsAsync"/>): a user's memberships, or an API key's one org.</summary>
public static class OrgsApi
{
    public static void MapOrgsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs", ListAsync);
        api.MapGet("/v1/orgs/{org_id}", GetAsync);
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
            SELECT o.id, o.name, m.role, o.created_at AS CreatedAt FROM orgs o
            LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = @userId
            WHERE o.id = ANY(@orgIds) ORDER BY o.created_at, o.id
            """, new { userId = caller.UserId, orgIds = orgIds.ToArray() }, cancellationToken: cancellationToken));
    }
}
