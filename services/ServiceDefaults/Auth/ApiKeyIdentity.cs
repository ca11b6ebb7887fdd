using System.Security.Claims;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>What a project API key resolves to. Every data-plane query is scoped by <see cref="ProjectId"/>.</summary>
public sealed record ApiKeyIdentity(Guid KeyId, Guid ProjectId, Guid WorkspaceId, Guid OrgId, string ProjectName, IReadOnlyList<string> Scopes)
{
    public const string ProjectIdClaim = "project_id";
    public const string WorkspaceIdClaim = "workspace_id";
    public const string OrgIdClaim = "org_id";
    public const string ProjectNameClaim = "project_name";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";

    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim>
        {
            new(KeyIdClaim, KeyId.ToString()),
            new(ProjectIdClaim, ProjectId.ToString()),
            new(WorkspaceIdClaim, WorkspaceId.ToString()),
            new(OrgIdClaim, OrgId.ToString()),
            new(ProjectNameClaim, ProjectName),
        };
        claims.AddRange(Scopes.Select(s => new Claim(ScopeClaim, s)));
        claims.AddRange(Permissions.ForKeyScopes(Scopes).Select(p => new Claim(PermissionClaims.Type, p)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}

/// <summary>Reads the tenant of an authenticated request.</summary>
public static class TenantClaims
{
    /// <summary>The caller's project (its key's, or the one its access token selected); throws if the endpoint forgot to require authentication.</summary>
    public static Guid ProjectId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiKeyIdentity.ProjectIdClaim)
            ?? throw new InvalidOperationException("The request is not authenticated for a project."));

    /// <summary>The workspace of the caller's project (provider secrets are shared per workspace).</summary>
    public static Guid WorkspaceId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiKeyIdentity.WorkspaceIdClaim)
            ?? throw new InvalidOperationException("The request is not authenticated for a project."));
}
