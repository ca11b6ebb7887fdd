using System.Security.Claims;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>The orgs a caller belongs to: a user's memberships, or an API key's one org.</summary>
public static class OrgsApi
{
    public static void MapOrgsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs", ListAsync);
        api.MapGet("/v1/orgs/{org_id}", GetAsync);
    }

    private static async Task<Ok<Envelope<OrgItem[]>>> ListAsync(
        ClaimsPrincipal principal, [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken) =>
        TypedResults.Ok(Envelope.Of<OrgItem[]>([.. await FindAsync(cpdb, principal, null, cancellationToken)]));

    private static async Task<Ok<Envelope<OrgItem>>> GetAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var org = (await FindAsync(cpdb, principal, orgId, cancellationToken)).SingleOrDefault()
            ?? throw ApiRequestException.NotFound(null, "Organization not found.");
        return TypedResults.Ok(Envelope.Of<OrgItem>(org));
    }

    private static async Task<IEnumerable<OrgItem>> FindAsync(NpgsqlDataSource cpdb, ClaimsPrincipal principal, Guid? orgId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        if (principal.UserIdOf() is { } userId)
        {
            return await connection.QueryAsync<OrgItem>(new CommandDefinition(
                """
                SELECT o.id, o.name, m.role, o.created_at AS CreatedAt FROM orgs o JOIN org_members m ON m.org_id = o.id AND m.user_id = @userId
                WHERE @orgId::uuid IS NULL OR o.id = @orgId ORDER BY o.created_at, o.id
                """, new { userId, orgId }, cancellationToken: cancellationToken));
        }

        // An API key belongs to one org.
        var keyOrg = Guid.TryParse(principal.FindFirstValue(ApiKeyIdentity.OrgIdClaim), out var id) ? id : Guid.Empty;
        if (orgId is { } wanted && wanted != keyOrg) return [];
        return await connection.QueryAsync<OrgItem>(new CommandDefinition(
            "SELECT id, name, NULL::text AS role, created_at AS CreatedAt FROM orgs WHERE id = @keyOrg", new { keyOrg }, cancellationToken: cancellationToken));
    }
}
