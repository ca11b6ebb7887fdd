using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// Endpoint metadata: the scope a route needs. The 403 names it and the route listing shows it.
/// </summary>
/// <param name="CheckedByHandler">
/// True for routes that must answer in their own protocol's error format (OTLP's google.rpc.Status, gRPC
/// statuses) and so check the key themselves, with <see cref="ApiScopes.Allows"/>, instead of through a policy.
/// </param>
public sealed record RequiredScope(string Scope, bool CheckedByHandler = false);

/// <summary>
/// The one check behind every scope policy: the key's scope claims must satisfy the required scope under
/// <see cref="ApiScopes"/>' rule. With no fixed scope it checks the scope the endpoint declares, and fails
/// when there is none: that is what closes a route that forgot to declare one.
/// </summary>
public sealed class ScopeRequirement(string? scope) : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    /// <summary>The scope checked; null means the endpoint's <see cref="RequiredScope"/>.</summary>
    public string? Scope { get; } = scope;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var required = requirement.Scope ?? (context.Resource as HttpContext)?.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope;
        if (required is null)
        {
            context.Fail(new AuthorizationFailureReason(this, "The route declares no scope."));
            return Task.CompletedTask;
        }

        var granted = context.User.FindAll(ApiKeyIdentity.ScopeClaim).Select(c => c.Value);
        if (ApiScopes.Allows(granted, required)) context.Succeed(requirement);
        else context.Fail(new AuthorizationFailureReason(this, $"The key lacks the '{required}' scope."));
        return Task.CompletedTask;
    }
}

/// <summary>One authorization policy per scope, all enforced by <see cref="ScopeRequirement"/>.</summary>
public static class ScopePolicies
{
    private static readonly Dictionary<string, AuthorizationPolicy> ByScope =
        ApiScopes.All.ToDictionary(s => s, Build, StringComparer.Ordinal);

    /// <summary>The policy of a known scope.</summary>
    public static AuthorizationPolicy For(string scope) =>
        ByScope.TryGetValue(scope, out var policy) ? policy : throw new ArgumentException($"'{scope}' is not a scope; use one of ApiScopes.All.", nameof(scope));

    /// <summary>Checks the scope the endpoint declares; denies every caller of an endpoint that declares none.</summary>
    public static AuthorizationPolicy Declared { get; } = Build(null);

    private static AuthorizationPolicy Build(string? scope) =>
        new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)).Build();
}

public static class ScopeEndpointExtensions
{
    /// <summary>The route needs <paramref name="scope"/> (or a scope that includes it) on the caller's project key.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredScope(scope)).RequireAuthorization(ScopePolicies.For(scope));

    /// <summary>
    /// The route needs <paramref name="scope"/> and checks it in its handler, because it must answer in its
    /// own protocol's error format. The declaration keeps it visible to the fail-closed convention and the listing.
    /// </summary>
    public static TBuilder ScopeCheckedByHandler<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder
    {
        _ = ScopePolicies.For(scope); // an unknown scope fails at startup, not at the first request
        return builder.WithMetadata(new RequiredScope(scope, CheckedByHandler: true));
    }

    /// <summary>
    /// Fail closed for every endpoint under this group: one that declares no scope (not even with a bare
    /// <c>RequireAuthorization()</c>) gets <see cref="ScopePolicies.Declared"/>, which refuses every key, so a
    /// new route is unusable until it states what it needs. Endpoints marked <c>AllowAnonymous</c> stay open:
    /// that is an explicit choice, and the scope matrix test lists them.
    /// </summary>
    public static TBuilder RequireDeclaredScopes<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            if (!endpoint.Metadata.OfType<RequiredScope>().Any()) endpoint.Metadata.Add(ScopePolicies.Declared);
        });
        return builder;
    }
}
