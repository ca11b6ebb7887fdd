using System.Security.Claims;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Api.Authorization;

/// <summary>Who a control-plane request comes from: a signed-in user or an API key.</summary>
public static class ActorTypes
{
    public const string User = "user";
    public const string ApiKey = "api_key";
    public const string System = "system";
}

/// <summary>
/// The claims the control plane's authentication puts on a principal. A user (access token) has
/// <see cref="UserId"/>; their grants are read live from cpdb on each request, so a removed role stops
/// working at once here (and on the data plane when their access token ends). An API key has
/// <see cref="KeyId"/> and its grants in <see cref="GrantRules.Claim"/>.
/// </summary>
public static class CallerClaims
{
    public const string UserId = AccessTokenPrincipal.UserIdClaim;
    public const string KeyId = ApiKeyIdentity.KeyIdClaim;
    public const string Grants = GrantRules.Claim;

    /// <summary>The signed-in user's id, or null for an API key.</summary>
    public static Guid? UserIdOf(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(UserId), out var id) ? id : null;

    /// <summary>The API key's id, or null for a user.</summary>
    public static Guid? KeyIdOf(this ClaimsPrincipal principal) =>
        principal.UserIdOf() is null && Guid.TryParse(principal.FindFirstValue(KeyId), out var id) ? id : null;
}

/// <summary>The caller of one request with the grants that decide what it may do.</summary>
public sealed record Caller(string ActorType, Guid ActorId, IReadOnlyList<Grant> Grants)
{
    public Guid? UserId => ActorType == ActorTypes.User ? ActorId : null;
}
