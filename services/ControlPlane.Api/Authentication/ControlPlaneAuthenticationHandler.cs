using System.Security.Claims;
using System.Text.Encodings.Web;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Authentication;

/// <summary>
/// <c>Authorization: Bearer</c> on the control plane: an access token (a JWT this CP signed) for a user, or an API
/// key. Control-plane keys (hh_fgcp_) work on every route; project keys only where a route opts in with
/// <see cref="ProjectKeysAccepted"/> (the legacy project routes the SDKs call). Nothing presented is ever logged or echoed.
/// </summary>
public sealed class ControlPlaneAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokenValidator tokens,
    ControlPlaneKeyDirectory keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ControlPlane";

    /// <summary>Claim with the key's kind ('project' or 'control_plane'); absent for users.</summary>
    public const string KeyKindClaim = "key_kind";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!BearerToken.TryRead(header, out var bearer) || bearer.Length == 0)
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <access token or API key>'.");

        if (AccessTokenValidator.LooksLikeJwt(bearer))
        {
            var (token, error) = await tokens.ValidateAsync(bearer, Context.RequestAborted);
            if (token is null) return AuthenticateResult.Fail(error!);
            var claims = new List<Claim>
            {
                new(CallerClaims.UserId, token.UserId.ToString()),
                new(AccessTokenClaims.Subject, token.UserId.ToString()),
            };
            if (token.SessionId is { } sid) claims.Add(new Claim(AccessTokenClaims.Session, sid.ToString()));
            return Success(claims);
        }

        if (!BearerToken.IsPlausible(bearer)) return AuthenticateResult.Fail("The API key is empty or too long.");
        var key = await keys.FindAsync(bearer, Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("The API key is unknown, revoked or expired.");
        if (key.Kind != "control_plane" && Context.GetEndpoint()?.Metadata.GetMetadata<ProjectKeysAccepted>() is null)
            return AuthenticateResult.Fail("Project API keys work on the data plane; the control plane needs an access token or a control-plane key (hh_fgcp_).");

        var keyClaims = new List<Claim>
        {
            new(CallerClaims.KeyId, key.Id.ToString()),
            new(KeyKindClaim, key.Kind),
            new(ApiKeyIdentity.OrgIdClaim, key.OrgId.ToString()),
            new(CallerClaims.Grants, GrantRules.Serialize([key.Grant])),
        };
        if (key.ProjectId is { } project) keyClaims.Add(new Claim(ApiKeyIdentity.ProjectIdClaim, project.ToString()));
        keyClaims.AddRange(key.Scopes.Select(s => new Claim(ApiKeyIdentity.ScopeClaim, s)));
        return Success(keyClaims);
    }

    private AuthenticateResult Success(List<Claim> claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: 401, title: "Unauthorized",
            detail: "Send 'Authorization: Bearer <access token>' (from POST /v1/auth/login) or a control-plane API key.").ExecuteAsync(Context);
    }
}

/// <summary>Endpoint metadata: this route also accepts project API keys (the legacy project routes of the SDKs).</summary>
public sealed record ProjectKeysAccepted;
