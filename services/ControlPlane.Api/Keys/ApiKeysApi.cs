using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using HoneyHive.ControlPlane.Api.Authentication;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.OrgSecurity;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HoneyHive.ControlPlane.Api.Keys;

/// <summary>
/// API keys: project keys (SDKs and ingestion, synced to the data planes) and control-plane keys (hh_fgcp_, the
/// CP's own API, never leave it). Stored as SHA-256 hashes, shown once at creation, listed masked with their
/// last-used time, revoked rather than deleted. Nobody mints a key that may do more than they may themselves.
/// </summary>
public static class ApiKeysApi
{
    public const int MaxNameLength = 100;
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);
    public static readonly TimeSpan DefaultControlPlaneLifetime = TimeSpan.FromDays(90);

    private static readonly string[] ProjectKeyFields = ["name", "scopes", "expires_at"];
    private static readonly string[] ControlPlaneKeyFields = ["name", "permissions", "scope_type", "scope_id", "expires_at"];

    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("").WithTags("API keys");
        keys.MapGet("/v1/projects/{project_id}/api_keys", ListProjectKeysAsync);
        keys.MapPost("/v1/projects/{project_id}/api_keys", CreateProjectKeyAsync).Accepts<CreateProjectKeyRequest>("application/json");
        keys.MapGet("/v1/orgs/{org_id}/api_keys", ListControlPlaneKeysAsync);
        keys.MapPost("/v1/orgs/{org_id}/api_keys", CreateControlPlaneKeyAsync).Accepts<CreateControlPlaneKeyRequest>("application/json");
        keys.MapDelete("/v1/api_keys/{key_id}", RevokeAsync);
        return api;
    }

    private static async Task<Ok<ProjectKeyView[]>> ListProjectKeysAsync(
        string project_id, ClaimsPrincipal user, ControlPlaneAccess access, ApiKeyStore store, CancellationToken cancellationToken)
    {
        var projectId = Id(project_id, "project_id", "Project");
        await access.RequireAsync(user, Permissions.KeysRead, await access.Tree.ProjectAsync(projectId, cancellationToken), "Project", cancellationToken);
        var rows = await store.ProjectKeysAsync(projectId, cancellationToken);
        return TypedResults.Ok(rows.Select(r => r.ToProjectView()).ToArray());
    }

    private static async Task<Created<ProjectKeyCreated>> CreateProjectKeyAsync(
        string project_id, HttpContext context, ControlPlaneAccess access, ApiKeyStore store, SignInPolicy policy, TimeProvider clock, CancellationToken cancellationToken)
    {
        var projectId = Id(project_id, "project_id", "Project");
        var path = await access.Tree.ProjectAsync(projectId, cancellationToken);
        var caller = await access.RequireAsync(context.User, Permissions.KeysManage, path, "Project", cancellationToken);
        await policy.RequireKeyCreationAllowedAsync(context.User, path!.OrgId, cancellationToken);

        var body = await JsonRequest.ReadAsync(context.Request, ProjectKeyFields, cancellationToken);
        var name = body.RequiredString("name", 1, MaxNameLength);
        var scopes = body.OptionalStringArray("scopes", ApiScopes.All.Count * 2) ?? throw ApiRequestException.BadRequest("scopes", "'scopes' is required: one or more of " + string.Join(", ", ApiScopes.All) + ".");
        if (scopes.Count == 0) throw ApiRequestException.BadRequest("scopes", "'scopes' must name at least one of " + string.Join(", ", ApiScopes.All) + ".");
        var held = GrantRules.PermissionsAt(caller.Grants, path!);
        for (var i = 0; i < scopes.Count; i++)
        {
            if (!ApiScopes.IsKnown(scopes[i]))
                throw ApiRequestException.BadRequest($"scopes[{i}]", $"'{scopes[i]}' is not a key scope; use {string.Join(", ", ApiScopes.All)}.");
            // A key may do no more in the project than its creator: each scope's permissions must be the caller's.
            if (Permissions.ForKeyScopes([scopes[i]]).FirstOrDefault(p => !held.Contains(p)) is { } missing)
                throw ApiRequestException.Forbidden($"scopes[{i}]", $"A key with the '{scopes[i]}' scope could do '{missing}' in this project, which you may not; ask an admin for the key.");
        }
        var expiresAt = Expiry(body.OptionalTime("expires_at"), clock, null, null);

        var key = ApiKeys.Generate();
        var row = await store.CreateAsync(new NewApiKey(
            Guid.CreateVersion7(), "project", name, ApiKeys.DisplayPrefix(key), ApiKeys.Hash(key), projectId,
            [.. scopes.Distinct(StringComparer.Ordinal)], path!.OrgId, GrantScopes.Project, projectId, caller.UserId, expiresAt),
            caller, Ip(context), cancellationToken);
        return TypedResults.Created((string?)null, new ProjectKeyCreated(row.Id, row.Name, key, row.KeyPrefix, projectId, row.Scopes,
            ApiKeyRow.Utc(row.CreatedAt), ApiKeyRow.UtcOrNull(row.ExpiresAt)));
    }

    private static async Task<Ok<ControlPlaneKeyView[]>> ListControlPlaneKeysAsync(
        string org_id, ClaimsPrincipal user, ControlPlaneAccess access, ApiKeyStore store, CancellationToken cancellationToken)
    {
        var orgId = Id(org_id, "org_id", "Organization");
        var orgPath = await access.Tree.OrgAsync(orgId, cancellationToken);
        var caller = await access.CallerAsync(user, cancellationToken);
        if (orgPath is null) throw ApiRequestException.NotFound(null, "Organization not found.");

        // An org-wide keys:read sees every key; a workspace's sees the keys scoped to that workspace.
        var workspaces = (await store.WorkspacesOfAsync(orgId, cancellationToken)).Select(w => new TenancyPath(orgId, w)).ToList();
        if (!GrantRules.Reaches(caller.Grants, orgPath) && !workspaces.Any(w => GrantRules.Reaches(caller.Grants, w)))
            throw ApiRequestException.NotFound(null, "Organization not found.");
        if (!GrantRules.Allows(caller.Grants, orgPath, Permissions.KeysRead) && !workspaces.Any(w => GrantRules.Allows(caller.Grants, w, Permissions.KeysRead)))
            throw ApiRequestException.Forbidden(null, $"This needs the '{Permissions.KeysRead}' permission on this organization or one of its workspaces.");

        var rows = await store.ControlPlaneKeysAsync(orgId, cancellationToken);
        return TypedResults.Ok(rows
            .Where(r => GrantRules.Allows(caller.Grants, PathOf(r), Permissions.KeysRead))
            .Select(r => r.ToControlPlaneView()).ToArray());
    }

    private static async Task<Created<ControlPlaneKeyCreated>> CreateControlPlaneKeyAsync(
        string org_id, HttpContext context, ControlPlaneAccess access, ApiKeyStore store, SignInPolicy policy, TimeProvider clock, CancellationToken cancellationToken)
    {
        var orgId = Id(org_id, "org_id", "Organization");
        var body = await JsonRequest.ReadAsync(context.Request, ControlPlaneKeyFields, cancellationToken);
        var scopeType = body.OptionalString("scope_type", 1, 20) ?? GrantScopes.Org;
        if (scopeType is not (GrantScopes.Org or GrantScopes.Workspace))
            throw ApiRequestException.BadRequest("scope_type", "'scope_type' must be 'org' or 'workspace'.");

        TenancyPath? path;
        Guid scopeId;
        if (scopeType == GrantScopes.Org)
        {
            if (body.OptionalGuid("scope_id") is { } given && given != orgId)
                throw ApiRequestException.BadRequest("scope_id", "An org-scoped key's 'scope_id' is the org's id (or left out).");
            path = await access.Tree.OrgAsync(orgId, cancellationToken);
            scopeId = orgId;
        }
        else
        {
            scopeId = body.OptionalGuid("scope_id") ?? throw ApiRequestException.BadRequest("scope_id", "A workspace-scoped key needs the workspace's id in 'scope_id'.");
            path = await access.Tree.WorkspaceAsync(scopeId, cancellationToken);
            if (path is not null && path.OrgId != orgId) path = null; // another org's workspace: not found here
        }
        var caller = await access.RequireAsync(context.User, Permissions.KeysManage, path, scopeType == GrantScopes.Org ? "Organization" : "Workspace", cancellationToken);
        await policy.RequireKeyCreationAllowedAsync(context.User, orgId, cancellationToken);

        var name = body.RequiredString("name", 1, MaxNameLength);
        var permissions = body.OptionalStringArray("permissions", Permissions.All.Count * 2)
            ?? throw ApiRequestException.BadRequest("permissions", "'permissions' is required: the catalog names the key may use, e.g. keys:read.");
        if (permissions.Count == 0) throw ApiRequestException.BadRequest("permissions", "'permissions' must name at least one permission.");
        // No escalation: only what the caller holds on that scope (a control-plane key's own grant included).
        var held = GrantRules.PermissionsAt(caller.Grants, path!);
        for (var i = 0; i < permissions.Count; i++)
        {
            if (!Permissions.IsKnown(permissions[i]))
                throw ApiRequestException.BadRequest($"permissions[{i}]", $"'{permissions[i]}' is not a permission; see the catalog (e.g. {Permissions.KeysRead}, {Permissions.ProjectsManage}).");
            if (!held.Contains(permissions[i]))
                throw ApiRequestException.Forbidden($"permissions[{i}]", $"You do not hold '{permissions[i]}' on this {scopeType}, so no key you create may.");
        }

        // A key minted by a key lives no longer than its maker.
        var callerExpiry = caller.ActorType == ActorTypes.ApiKey ? await store.ExpiryOfAsync(caller.ActorId, cancellationToken) : null;
        var expiresAt = Expiry(body.OptionalTime("expires_at"), clock, DefaultControlPlaneLifetime, callerExpiry)!.Value;

        var key = ControlPlaneKeyDirectory.ControlPlanePrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var row = await store.CreateAsync(new NewApiKey(
            Guid.CreateVersion7(), "control_plane", name, key[..(ControlPlaneKeyDirectory.ControlPlanePrefix.Length + 4)], ApiKeys.Hash(key), null,
            [.. permissions.Distinct(StringComparer.Ordinal)], orgId, scopeType, scopeId, caller.UserId, expiresAt),
            caller, Ip(context), cancellationToken);
        return TypedResults.Created((string?)null, new ControlPlaneKeyCreated(row.Id, row.Name, key, row.KeyPrefix, row.Scopes, row.ScopeType, row.ScopeId,
            ApiKeyRow.Utc(row.CreatedAt), expiresAt));
    }

    private static async Task<Ok<object>> RevokeAsync(
        string key_id, HttpContext context, ControlPlaneAccess access, ApiKeyStore store, CancellationToken cancellationToken)
    {
        var keyId = Id(key_id, "key_id", "API key");
        var row = await store.FindAsync(keyId, cancellationToken);
        var path = row is null ? null : row.ScopeType switch
        {
            GrantScopes.Project => await access.Tree.ProjectAsync(row.ScopeId, cancellationToken),
            GrantScopes.Workspace => await access.Tree.WorkspaceAsync(row.ScopeId, cancellationToken),
            _ => await access.Tree.OrgAsync(row.ScopeId, cancellationToken),
        };
        var caller = await access.RequireAsync(context.User, Permissions.KeysManage, path, "API key", cancellationToken);
        var revoked = await store.RevokeAsync(row!, caller, Ip(context), cancellationToken);
        return TypedResults.Ok<object>(revoked.Kind == "project" ? revoked.ToProjectView() : revoked.ToControlPlaneView());
    }

    private static TenancyPath PathOf(ApiKeyRow row) => row.ScopeType == GrantScopes.Workspace
        ? new TenancyPath(row.OrgId, row.ScopeId)
        : new TenancyPath(row.OrgId);

    /// <summary>
    /// The expiry to store: <paramref name="requested"/> (in the future, at most a year ahead and not after
    /// <paramref name="ceiling"/>), else <paramref name="fallback"/> from now, else none.
    /// </summary>
    private static DateTimeOffset? Expiry(DateTimeOffset? requested, TimeProvider clock, TimeSpan? fallback, DateTimeOffset? ceiling)
    {
        var now = clock.GetUtcNow();
        if (requested is { } at)
        {
            if (at <= now) throw ApiRequestException.BadRequest("expires_at", "'expires_at' must be in the future.");
            if (at > now + MaxLifetime) throw ApiRequestException.BadRequest("expires_at", $"'expires_at' must be at most {MaxLifetime.TotalDays:0} days ahead.");
            if (ceiling is { } limit && at > limit)
                throw ApiRequestException.BadRequest("expires_at", "'expires_at' must not be after the expiry of the key making this request.");
            return at.ToUniversalTime();
        }
        if (fallback is not { } lifetime) return null;
        var expires = now + lifetime;
        return ceiling is { } cap && cap < expires ? cap.ToUniversalTime() : expires;
    }

    private static Guid Id(string value, string field, string what) =>
        Guid.TryParse(value, out var id) ? id : throw ApiRequestException.NotFound(field, $"{what} not found.");

    private static string? Ip(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
