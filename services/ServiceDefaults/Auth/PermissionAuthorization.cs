using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// Endpoint metadata: the permission a data-plane route needs in the caller's project, and the project API key scope
/// that grants it (<see cref="Permissions.KeyScopeFor"/>). The 403 names both and the route listing shows both.
/// </summary>
/// <param name="CheckedByHandler">
/// True for routes that must answer in their own protocol's error format (OTLP's google.rpc.Status, gRPC statuses)
/// and so check the permission themselves, with <see cref="PermissionClaims.Has"/>, instead of through a policy.
/// </param>
public sealed record RequiredPermission(string Permission, bool CheckedByHandler = false)
{
    /// <summary>The key scope that grants <see cref="Permission"/>; null when no project key can (a control-plane permission).</summary>
    public string? KeyScope { get; } = Permissions.KeyScopeFor(Permission);
}

/// <summary>The permissions of a data-plane principal in its project, one claim each, whatever authenticated it.</summary>
public static class PermissionClaims
{
    /// <summary>
    /// One claim per permission the caller holds in the selected project: for a project API key,
    /// <see cref="Permissions.ForKeyScopes"/> of its scopes; for an access token, <see cref="GrantRules.PermissionsAt"/> its
    /// grants and the project's place in the tenancy tree.
    /// </summary>
    public const string Type = "hh_permission";

    public static bool Has(this System.Security.Claims.ClaimsPrincipal user, string permission) => user.HasClaim(Type, permission);
}

/// <summary>
/// The one check behind every data-plane route: the principal's permission claims must hold the required permission.
/// With no fixed permission it checks the one the endpoint declares, and fails when there is none: that is what closes
/// a route that forgot to declare one.
/// </summary>
public sealed class PermissionRequirement(string? permission) : AuthorizationHandler<PermissionRequirement>, IAuthorizationRequirement
{
    /// <summary>The permission checked; null means the endpoint's <see cref="RequiredPermission"/>.</summary>
    public string? Permission { get; } = permission;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        var required = requirement.Permission ?? (context.Resource as HttpContext)?.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>()?.Permission;
        if (required is null) context.Fail(new AuthorizationFailureReason(this, "The route declares no permission."));
        else if (context.User.Has(required)) context.Succeed(requirement);
        else context.Fail(new AuthorizationFailureReason(this, $"The caller lacks the '{required}' permission."));
        return Task.CompletedTask;
    }
}

/// <summary>One authorization policy per permission, all enforced by <see cref="PermissionRequirement"/>.</summary>
public static class PermissionPolicies
{
    private static readonly Dictionary<string, AuthorizationPolicy> ByPermission =
        Permissions.All.ToDictionary(p => p, Build, StringComparer.Ordinal);

    /// <summary>The policy of a known permission.</summary>
    public static AuthorizationPolicy For(string permission) =>
        ByPermission.TryGetValue(permission, out var policy) ? policy
            : throw new ArgumentException($"'{permission}' is not a permission; use one of Permissions.All.", nameof(permission));

    /// <summary>Checks the permission the endpoint declares; denies every caller of an endpoint that declares none.</summary>
    public static AuthorizationPolicy Declared { get; } = Build(null);

    private static AuthorizationPolicy Build(string? permission) =>
        new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new PermissionRequirement(permission)).Build();
}

public static class PermissionEndpointExtensions
{
    /// <summary>The route needs <paramref name="permission"/> in the caller's project (a key needs the scope that grants it).</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(permission)).RequireAuthorization(PermissionPolicies.For(permission));

    /// <summary>
    /// The route needs <paramref name="permission"/> and checks it in its handler, because it must answer in its own
    /// protocol's error format. The declaration keeps it visible to the fail-closed convention and the listing.
    /// </summary>
    public static TBuilder PermissionCheckedByHandler<TBuilder>(this TBuilder builder, string permission) where TBuilder : IEndpointConventionBuilder
    {
        _ = PermissionPolicies.For(permission); // an unknown permission fails at startup, not at the first request
        return builder.WithMetadata(new RequiredPermission(permission, CheckedByHandler: true));
    }

    /// <summary>
    /// Fail closed for every endpoint under this group: one that declares no permission (not even with a bare
    /// <c>RequireAuthorization()</c>) gets <see cref="PermissionPolicies.Declared"/>, which refuses every caller, so a new
    /// route is unusable until it states what it needs. Endpoints marked <c>AllowAnonymous</c> stay open: that is an
    /// explicit choice, and the scope matrix test lists them.
    /// </summary>
    public static TBuilder RequireDeclaredPermissions<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            if (!endpoint.Metadata.OfType<RequiredPermission>().Any()) endpoint.Metadata.Add(PermissionPolicies.Declared);
        });
        return builder;
    }
}
