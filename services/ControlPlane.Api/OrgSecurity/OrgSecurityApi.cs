using System.Security.Claims;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.OrgSecurity;

/// <summary>An org's sign-in policy.</summary>
public sealed record OrgSecuritySettings(
    [property: JsonPropertyName("org_id")] Guid OrgId,
    [property: JsonPropertyName("require_mfa")] bool RequireMfa,
    [property: JsonPropertyName("require_sso")] bool RequireSso,
    [property: JsonPropertyName("break_glass_user_ids")] Guid[] BreakGlassUserIds);

// The request body, for the OpenAPI document; the handler reads it field by field.
public sealed record OrgSecurityUpdate(
    [property: JsonPropertyName("require_mfa")] bool? RequireMfa = null,
    [property: JsonPropertyName("require_sso")] bool? RequireSso = null,
    [property: JsonPropertyName("break_glass_user_ids")] Guid[]? BreakGlassUserIds = null);

/// <summary>
/// GET/PUT /v1/orgs/{org_id}/security: require MFA, require single sign-on, and the break-glass accounts (at most
/// <see cref="MaxBreakGlassAccounts"/> members who hold security:manage themselves) that may still sign in by password
/// when SSO is required. Admins only (security:manage); every change is audited with its before and after.
/// </summary>
public static class OrgSecurityApi
{
    public const int MaxBreakGlassAccounts = 5;

    private static readonly string[] Fields = ["require_mfa", "require_sso", "break_glass_user_ids"];

    public static void MapOrgSecurityApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs/{org_id}/security", GetAsync).WithTags("Organizations");
        api.MapPut("/v1/orgs/{org_id}/security", PutAsync).WithTags("Organizations").Accepts<OrgSecurityUpdate>("application/json");
    }

    private static async Task<Ok<Envelope<OrgSecuritySettings>>> GetAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        await access.RequireAsync(principal, Permissions.SecurityManage, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(await ReadAsync(connection, null, orgId, lockRow: false, cancellationToken)));
    }

    private static async Task<Ok<Envelope<OrgSecuritySettings>>> PutAsync(
        [FromRoute(Name = "org_id")] string orgIdText, HttpContext context, ControlPlaneAccess access, GrantResolver grants,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var orgPath = await access.Tree.OrgAsync(orgId, cancellationToken);
        var caller = await access.RequireAsync(context.User, Permissions.SecurityManage, orgPath, "Organization", cancellationToken);
        var body = await JsonRequest.ReadAsync(context.Request, Fields, cancellationToken);
        var requireMfa = body.OptionalBool("require_mfa");
        var requireSso = body.OptionalBool("require_sso");
        var breakGlass = BreakGlassIds(body);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await ReadAsync(connection, transaction, orgId, lockRow: true, cancellationToken);
        var after = new OrgSecuritySettings(orgId, requireMfa ?? before.RequireMfa, requireSso ?? before.RequireSso, breakGlass is null ? before.BreakGlassUserIds : [.. breakGlass.Order()]);

        if (breakGlass is not null)
        {
            for (var i = 0; i < breakGlass.Length; i++)
            {
                // Only someone who could fix the org's sign-in settings is worth keeping a password way in for.
                var theirs = await grants.ForUserAsync(breakGlass[i], cancellationToken);
                if (!(await grants.MembershipsAsync(breakGlass[i], cancellationToken)).Contains(orgId) || !GrantRules.Allows(theirs, orgPath!, Permissions.SecurityManage))
                    throw ApiRequestException.BadRequest($"break_glass_user_ids[{i}]",
                        $"User {breakGlass[i]} cannot be a break-glass account: it must be a member of this organization holding '{Permissions.SecurityManage}' (an admin or owner).");
            }
        }
        if (after.RequireSso && after.BreakGlassUserIds.Length == 0)
            throw ApiRequestException.BadRequest(requireSso is not null ? "require_sso" : "break_glass_user_ids",
                "An organization that requires single sign-on needs at least one break-glass account in break_glass_user_ids, so an admin can still sign in if the identity provider fails.");

        if (after.RequireSso && !before.RequireSso) await SsoRequirement.EnsureConnectionForAsync(connection, transaction, orgId, cancellationToken);

        if (after.RequireMfa == before.RequireMfa && after.RequireSso == before.RequireSso && after.BreakGlassUserIds.SequenceEqual(before.BreakGlassUserIds))
            return TypedResults.Ok(Envelope.Of(before));

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE orgs SET require_mfa = @RequireMfa, require_sso = @RequireSso, updated_at = now() WHERE id = @OrgId", after, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM org_break_glass_accounts WHERE org_id = @orgId AND NOT (user_id = ANY(@ids))",
            new { orgId, ids = after.BreakGlassUserIds }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO org_break_glass_accounts (org_id, user_id) SELECT @orgId, unnest(@ids) ON CONFLICT DO NOTHING",
            new { orgId, ids = after.BreakGlassUserIds }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(orgId, caller, "org.security_updated", "org", orgId.ToString(), before, after, context.Connection.RemoteIpAddress?.ToString()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of(after));
    }

    /// <summary>The ids of break_glass_user_ids in the request's order (so an error names the element sent), duplicates dropped.</summary>
    private static Guid[]? BreakGlassIds(JsonRequest body)
    {
        var texts = body.OptionalStringArray("break_glass_user_ids", MaxBreakGlassAccounts * 4);
        if (texts is null) return null;
        var ids = new List<Guid>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (!Guid.TryParse(texts[i], out var id)) throw ApiRequestException.BadRequest($"break_glass_user_ids[{i}]", $"'break_glass_user_ids[{i}]' must be a user id (a UUID string).");
            if (!ids.Contains(id)) ids.Add(id);
        }
        if (ids.Count > MaxBreakGlassAccounts)
            throw ApiRequestException.BadRequest("break_glass_user_ids", $"An organization keeps at most {MaxBreakGlassAccounts} break-glass accounts; each is a password way in that SSO does not guard.");
        return [.. ids];
    }

    private static async Task<OrgSecuritySettings> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid orgId, bool lockRow, CancellationToken cancellationToken)
    {
        var flags = await connection.QuerySingleAsync<(bool RequireMfa, bool RequireSso)>(new CommandDefinition(
            "SELECT require_mfa, require_sso FROM orgs WHERE id = @orgId" + (lockRow ? " FOR UPDATE" : ""), new { orgId }, transaction, cancellationToken: cancellationToken));
        var breakGlass = await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT user_id FROM org_break_glass_accounts WHERE org_id = @orgId", new { orgId }, transaction, cancellationToken: cancellationToken));
        // Ordered here as the request's ids are, so an unchanged list compares equal.
        return new OrgSecuritySettings(orgId, flags.RequireMfa, flags.RequireSso, [.. breakGlass.Order()]);
    }
}
