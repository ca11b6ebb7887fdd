using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authentication;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.Identity;
using HoneyHive.ControlPlane.Api.Roles;
using HoneyHive.ControlPlane.Api.Tenancy;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Members;

/// <summary>An invitation as listed and audited: never its token.</summary>
public sealed record InvitationItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("scope_type")] string ScopeType,
    [property: JsonPropertyName("scope_id")] Guid ScopeId,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("expires_at")] DateTime ExpiresAt,
    [property: JsonPropertyName("status")] string Status);

/// <summary>A new invitation with its accept token, which this answer alone shows.</summary>
public sealed record CreatedInvitation(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("scope_type")] string ScopeType,
    [property: JsonPropertyName("scope_id")] Guid ScopeId,
    [property: JsonPropertyName("expires_at")] DateTime ExpiresAt,
    [property: JsonPropertyName("accept_token")] string AcceptToken);

public sealed record AcceptedInvitation(
    [property: JsonPropertyName("user_id")] Guid UserId,
    [property: JsonPropertyName("org_id")] Guid OrgId,
    [property: JsonPropertyName("email")] string Email);

public sealed record PostInvitationRequest(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("scope_type")] string? ScopeType,
    [property: JsonPropertyName("scope_id")] string? ScopeId);

public sealed record AcceptInvitationRequest(
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("password")] string? Password);

/// <summary>
/// Sign-up by invitation: an org member with members:manage invites an email to a role on the org, a workspace or a
/// project; the invitee accepts with the token from the mail, creating an account or (signed in) joining with theirs.
/// </summary>
public static class InvitationsApi
{
    public const string TargetType = "invitation";
    private const string What = "Invitation";
    private const string Columns =
        """
        id, email, role, scope_type AS ScopeType, scope_id AS ScopeId, created_at AS CreatedAt, expires_at AS ExpiresAt,
        CASE WHEN accepted_at IS NOT NULL THEN 'accepted' WHEN revoked_at IS NOT NULL THEN 'revoked'
             WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END AS status
        """;

    // One message for every unusable token, so it tells nothing about which (or about any account).
    private const string InvalidToken = "This invitation token is not valid: it is wrong, already used, revoked or expired. Ask for a new invitation.";

    private static readonly string[] CreateFields = ["email", "role", "scope_type", "scope_id"];
    private static readonly string[] AcceptFields = ["token", "name", "password"];

    public static void MapInvitationsApi(this IEndpointRouteBuilder api, IEndpointRouteBuilder anonymous)
    {
        api.MapPost("/v1/orgs/{org_id}/invitations", CreateAsync).Accepts<PostInvitationRequest>("application/json");
        api.MapGet("/v1/orgs/{org_id}/invitations", ListAsync);
        api.MapDelete("/v1/orgs/{org_id}/invitations/{invitation_id}", RevokeAsync);
        anonymous.MapPost("/v1/invitations/accept", AcceptAsync).Accepts<AcceptInvitationRequest>("application/json").AllowAnonymous();
    }

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static async Task<Created<Envelope<CreatedInvitation>>> CreateAsync(
        [FromRoute(Name = "org_id")] string orgIdText, HttpRequest request, ClaimsPrincipal principal, ControlPlaneAccess access,
        InvitationMail mail, TimeProvider clock,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        // A workspace or project admin may invite to their scope without any org-wide role, so the check here is
        // membership; the permission is checked on the scope below.
        var (caller, orgPath) = await access.RequireMemberAsync(principal, orgId, cancellationToken);
        var body = await RequestBody.ReadAsync(request, CreateFields, cancellationToken);
        var email = TenancyNames.Email(RequestBody.String(body, "email", 254), "email");
        var role = RequestBody.RequiredString(body, "role", 100);
        var scopeType = RequestBody.String(body, "scope_type", 20) ?? GrantScopes.Org;
        if (!GrantScopes.IsKnown(scopeType)) throw ApiRequestException.BadRequest("scope_type", "scope_type must be org, workspace or project.");
        var scopeId = RequestBody.String(body, "scope_id", 64) is { } text ? RequestBody.Id(text, "scope_id") : orgId;
        var path = scopeType switch
        {
            GrantScopes.Org => scopeId == orgId ? orgPath : throw ApiRequestException.BadRequest("scope_id", "scope_id of an org invitation must be the org's id (or left out)."),
            GrantScopes.Workspace => await access.Tree.WorkspaceAsync(scopeId, cancellationToken),
            _ => await access.Tree.ProjectAsync(scopeId, cancellationToken),
        };
        if (path is not null && path.OrgId != orgId) path = null;
        ControlPlaneAccess.Require(caller, Permissions.MembersManage, path, scopeType == GrantScopes.Org ? "Organization" : scopeType == GrantScopes.Workspace ? "Workspace" : "Project");
        if (role == BuiltInRoles.Owner && scopeType != GrantScopes.Org)
            throw ApiRequestException.BadRequest("role", "owner is an org-wide role; invite to the org (scope_type org).");

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        OrgRoles.RequireMayGrant(caller, orgPath, await OrgRoles.PermissionsOfAsync(connection, transaction, orgId, role, "role", cancellationToken));
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var item = await connection.QuerySingleAsync<InvitationItem>(new CommandDefinition(
            $"""
            INSERT INTO invitations (id, org_id, email, role, scope_type, scope_id, token_hash, invited_by, created_at, expires_at)
            VALUES (@id, @orgId, @email, @role, @scopeType, @scopeId, @hash, @invitedBy, @now, @expires)
            RETURNING {Columns}
            """,
            new { id = Guid.CreateVersion7(), orgId, email, role, scopeType, scopeId, hash = HashToken(token), invitedBy = caller.UserId, now, expires = now + InvitationMail.Lifetime },
            transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "invitation.created", TargetType, item.Id.ToString(), null, item), cancellationToken);
        // Published before the commit: when the mail cannot be queued, no invitation is left that nobody can accept.
        var orgName = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT name FROM orgs WHERE id = @orgId", new { orgId }, transaction, cancellationToken: cancellationToken));
        await mail.PublishAsync(item, orgName ?? "", token, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/v1/orgs/{orgId}/invitations/{item.Id}",
            Envelope.Of<CreatedInvitation>(new CreatedInvitation(item.Id, item.Email, item.Role, item.ScopeType, item.ScopeId, item.ExpiresAt, token)));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<Ok<Envelope<InvitationItem[]>>> ListAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        await access.RequireAsync(principal, Permissions.MembersManage, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var items = await connection.QueryAsync<InvitationItem>(new CommandDefinition(
            $"SELECT {Columns} FROM invitations WHERE org_id = @orgId ORDER BY created_at DESC, id DESC LIMIT 500", new { orgId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(Envelope.Of<InvitationItem[]>([.. items]));
    }

    private static async Task<Ok<Envelope<InvitationItem>>> RevokeAsync(
        [FromRoute(Name = "org_id")] string orgIdText, [FromRoute(Name = "invitation_id")] string idText,
        ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var id = RequestBody.RouteId(idText, What);
        var caller = await access.CallerAsync(principal, cancellationToken);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await connection.QuerySingleOrDefaultAsync<InvitationItem>(new CommandDefinition(
            $"SELECT {Columns} FROM invitations WHERE id = @id AND org_id = @orgId FOR UPDATE", new { id, orgId }, transaction, cancellationToken: cancellationToken));
        // Whoever could invite there may revoke: members:manage on the invitation's scope (its org when the scope is gone).
        var path = before?.ScopeType switch
        {
            GrantScopes.Workspace => await access.Tree.WorkspaceAsync(before.ScopeId, cancellationToken),
            GrantScopes.Project => await access.Tree.ProjectAsync(before.ScopeId, cancellationToken),
            _ => null,
        } ?? (before is null ? null : await access.Tree.OrgAsync(orgId, cancellationToken));
        ControlPlaneAccess.Require(caller, Permissions.MembersManage, path, What);
        if (before!.Status is "accepted" or "revoked")
            throw ApiRequestException.Conflict(null, $"This invitation is {before.Status} already.");
        var after = await connection.QuerySingleAsync<InvitationItem>(new CommandDefinition(
            $"UPDATE invitations SET revoked_at = now() WHERE id = @id RETURNING {Columns}", new { id }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(orgId, caller, "invitation.revoked", TargetType, id.ToString(), before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<InvitationItem>(after));
    }

    private sealed record Pending(Guid Id, Guid OrgId, string Email, string Role, string ScopeType, Guid ScopeId);

    private static async Task<Ok<Envelope<AcceptedInvitation>>> AcceptAsync(
        HttpContext context, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(context.Request, AcceptFields, cancellationToken);
        var token = RequestBody.String(body, "token", 200) is { Length: > 0 } t ? t : throw ApiRequestException.BadRequest("token", "token is required.");
        var name = RequestBody.String(body, "name", 200);
        // PasswordPolicy judges the length (and says so); the bound here only keeps the body sane.
        var password = RequestBody.String(body, "password", 4096);

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var invitation = await connection.QuerySingleOrDefaultAsync<Pending>(new CommandDefinition(
            """
            SELECT id, org_id AS OrgId, email, role, scope_type AS ScopeType, scope_id AS ScopeId FROM invitations
            WHERE token_hash = @hash AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() FOR UPDATE
            """, new { hash = HashToken(token) }, transaction, cancellationToken: cancellationToken))
            ?? throw ApiRequestException.BadRequest("token", InvalidToken);

        // Anonymous route: the CP scheme runs only when asked (in the single-node Host the DP's scheme is the default).
        var signedIn = (await context.AuthenticateAsync(ControlPlaneAuthenticationHandler.SchemeName)).Principal?.UserIdOf();
        var existing = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "SELECT id FROM users WHERE lower(email) = lower(@email)", new { email = invitation.Email }, transaction, cancellationToken: cancellationToken));
        Guid userId;
        if (existing is { } account)
        {
            // Only the holder of the token reaches here, so telling them the invited email has an account reveals nothing new.
            if (password is not null)
                throw ApiRequestException.BadRequest("password", "The invited email has an account: sign in and accept with its access token (Authorization: Bearer), without a password.");
            if (signedIn != account)
                throw ApiRequestException.BadRequest("authorization", "The invited email has an account: sign in as it and send its access token (Authorization: Bearer).");
            userId = account;
        }
        else
        {
            name = name is { Length: > 0 } ? name : throw ApiRequestException.BadRequest("name", "name is required to create the account.");
            PasswordPolicy.Validate(password, "password");
            userId = Guid.CreateVersion7();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO users (id, email, password_hash, name) VALUES (@userId, @email, @hash, @name)",
                new { userId, email = invitation.Email, hash = PasswordHasher.Hash(password!), name }, transaction, cancellationToken: cancellationToken));
        }

        var scopeLive = invitation.ScopeType switch
        {
            GrantScopes.Workspace => await access.Tree.WorkspaceAsync(invitation.ScopeId, cancellationToken),
            GrantScopes.Project => await access.Tree.ProjectAsync(invitation.ScopeId, cancellationToken),
            _ => await access.Tree.OrgAsync(invitation.OrgId, cancellationToken),
        };
        if (scopeLive is null) throw ApiRequestException.BadRequest("token", InvalidToken);

        // An invitation adds access; it never lowers or replaces the org-wide role of someone already a member.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO org_members (org_id, user_id, role) VALUES (@orgId, @userId, @orgRole)
            ON CONFLICT (org_id, user_id) DO UPDATE SET role = COALESCE(org_members.role, EXCLUDED.role)
            """, new { orgId = invitation.OrgId, userId, orgRole = invitation.ScopeType == GrantScopes.Org ? invitation.Role : null }, transaction, cancellationToken: cancellationToken));
        if (invitation.ScopeType != GrantScopes.Org)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @orgId, @userId, @role, @scopeType, @scopeId)
                ON CONFLICT (user_id, scope_type, scope_id) DO UPDATE SET role = EXCLUDED.role
                """, new { id = Guid.CreateVersion7(), orgId = invitation.OrgId, userId, role = invitation.Role, scopeType = invitation.ScopeType, scopeId = invitation.ScopeId },
                transaction, cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE invitations SET accepted_at = now() WHERE id = @id", new { id = invitation.Id }, transaction, cancellationToken: cancellationToken));
        var actor = new Caller(ActorTypes.User, userId, []);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(invitation.OrgId, actor, "invitation.accepted", TargetType, invitation.Id.ToString(), null,
            new { user_id = userId, email = invitation.Email, role = invitation.Role, scope_type = invitation.ScopeType, scope_id = invitation.ScopeId, new_account = existing is null }),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Envelope.Of<AcceptedInvitation>(new AcceptedInvitation(userId, invitation.OrgId, invitation.Email)));
    }
}
