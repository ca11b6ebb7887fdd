using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// What a data-plane request's credentials come to: a principal for one project, or the answer to give instead.
/// <see cref="Status"/> is 200 on success; otherwise 401 (bad credentials), 400 (project header malformed, or needed),
/// 404 (the project is not one the credentials reach; the same answer whether or not it exists) or 503 (dpdb down).
/// </summary>
public sealed record DataPlaneAuthResult(ClaimsPrincipal? Principal, int Status, string? Detail, string? Field = null)
{
    public static DataPlaneAuthResult NoCredentials { get; } = new(null, StatusCodes.Status401Unauthorized, null);

    public bool Succeeded => Principal is not null;

    /// <summary>True when nothing was presented (no Authorization header): the request stays anonymous.</summary>
    public bool Anonymous => ReferenceEquals(this, NoCredentials);

    public static DataPlaneAuthResult Unauthenticated(string detail) => new(null, StatusCodes.Status401Unauthorized, detail);
}

/// <summary>
/// The data plane's one authentication rule, shared by the HTTP scheme (<see cref="ApiKeyAuthenticationHandler"/>) and
/// the OTLP endpoints that answer in their own formats. <c>Authorization: Bearer</c> carries either a project API key
/// (its project is the key's) or a control-plane access token; a token's project is named by
/// <see cref="ProjectHeader"/>, or is the only one its grants reach. The caller's permissions there come from the key's
/// scopes or the token's grants, as <see cref="PermissionClaims"/>; the tenant claims are the same either way.
/// </summary>
public sealed class DataPlaneAuthenticator(ApiKeyDirectory keys, DataPlaneTokens tokens, DataPlaneProjects projects)
{
    /// <summary>HoneyHive's header naming the project a request is about.</summary>
    public const string ProjectHeader = "x-hh-project-id";

    public const string ProjectNotFound = "Project not found";

    public async ValueTask<DataPlaneAuthResult> AuthenticateAsync(string? authorization, string? projectHeader, string scheme, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(authorization)) return DataPlaneAuthResult.NoCredentials;
        if (!BearerToken.TryRead(authorization, out var bearer) || bearer.Length == 0)
            return DataPlaneAuthResult.Unauthenticated("The Authorization header must be 'Bearer <project API key or access token>'.");

        Guid? named = null;
        if (!string.IsNullOrEmpty(projectHeader))
        {
            if (!Guid.TryParse(projectHeader, out var id))
                return new(null, StatusCodes.Status400BadRequest, $"The {ProjectHeader} header must be a project id (a UUID).", ProjectHeader);
            named = id;
        }

        try
        {
            return AccessTokenValidator.LooksLikeJwt(bearer)
                ? await TokenAsync(bearer, named, scheme, cancellationToken)
                : await KeyAsync(bearer, named, scheme, cancellationToken);
        }
        catch (KeyDirectoryUnavailableException ex)
        {
            return new(null, StatusCodes.Status503ServiceUnavailable, ex.Message);
        }
    }

    private async ValueTask<DataPlaneAuthResult> KeyAsync(string key, Guid? named, string scheme, CancellationToken cancellationToken)
    {
        if (!BearerToken.IsPlausible(key)) return DataPlaneAuthResult.Unauthenticated("The API key is empty or too long.");
        var identity = await keys.FindAsync(key, cancellationToken);
        if (identity is null) return DataPlaneAuthResult.Unauthenticated("The API key is unknown or revoked.");
        // A key belongs to one project; naming another must not look like it worked on that one.
        if (named is { } id && id != identity.ProjectId) return NotFound();
        return new(identity.ToPrincipal(scheme), StatusCodes.Status200OK, null);
    }

    private async ValueTask<DataPlaneAuthResult> TokenAsync(string bearer, Guid? named, string scheme, CancellationToken cancellationToken)
    {
        var (token, error) = await tokens.VerifyAsync(bearer, cancellationToken);
        if (token is null) return DataPlaneAuthResult.Unauthenticated(error!);

        DataPlaneProject project;
        if (named is { } id)
        {
            // Missing and not reachable answer alike: a token holder learns nothing about projects outside its grants.
            if (await projects.FindAsync(id, cancellationToken) is not { } found || !GrantRules.Reaches(token.Grants, found.Path)) return NotFound();
            project = found;
        }
        else
        {
            var reachable = await projects.ReachableAsync(token.Grants, token.TokenId.Length > 0 ? $"{token.UserId:N}:{token.TokenId}" : null, cancellationToken);
            if (reachable.Count == 0) return NotFound();
            if (reachable.Count > 1)
                return new(null, StatusCodes.Status400BadRequest,
                    $"This access token reaches several projects: name one in the {ProjectHeader} header.", ProjectHeader);
            project = reachable[0];
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(AccessTokenPrincipal.UserIdClaim, token.UserId.ToString()),
            new Claim(AccessTokenClaims.Subject, token.UserId.ToString()),
            new Claim(ApiKeyIdentity.ProjectIdClaim, project.Id.ToString()),
            new Claim(ApiKeyIdentity.WorkspaceIdClaim, project.WorkspaceId.ToString()),
            new Claim(ApiKeyIdentity.OrgIdClaim, project.OrgId.ToString()),
            new Claim(ApiKeyIdentity.ProjectNameClaim, project.Name),
        ], scheme);
        foreach (var permission in GrantRules.PermissionsAt(token.Grants, project.Path)) identity.AddClaim(new Claim(PermissionClaims.Type, permission));
        return new(new ClaimsPrincipal(identity), StatusCodes.Status200OK, null);
    }

    private static DataPlaneAuthResult NotFound() => new(null, StatusCodes.Status404NotFound, ProjectNotFound, ProjectHeader);
}
