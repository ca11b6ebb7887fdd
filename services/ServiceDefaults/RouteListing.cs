using System.Text.Json.Serialization;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// <c>GET /internal/routes</c>: every endpoint the process maps (methods, pattern, the hosts/ports it
/// answers on). Tests compare it with the routes they cover, so a new route cannot slip past the
/// tenancy matrix. Off unless <c>Diagnostics:ListRoutes</c> is true: it tells a caller the attack surface.
/// </summary>
public static class RouteListing
{
    public const string Path = "/internal/routes";
    public const string EnabledKey = "Diagnostics:ListRoutes";

    public static IEndpointRouteBuilder MapRouteListing(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>(EnabledKey)) return app;
        app.MapGet(Path, (EndpointDataSource endpoints) => TypedResults.Ok(List(endpoints)));
        return app;
    }

    public static IReadOnlyList<RouteInfo> List(EndpointDataSource endpoints) =>
        [.. endpoints.Endpoints.OfType<RouteEndpoint>()
            .Select(e => new RouteInfo(
                e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Order(StringComparer.Ordinal).ToArray() ?? [],
                e.RoutePattern.RawText ?? "",
                e.Metadata.GetMetadata<IHostMetadata>()?.Hosts.ToArray() ?? [],
                e.Metadata.GetMetadata<RequiredPermission>()?.Permission,
                e.Metadata.GetMetadata<RequiredPermission>()?.KeyScope))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)];

    /// <param name="Methods">Empty when the endpoint takes any method.</param>
    /// <param name="Hosts">Host patterns ("*:8080"); empty when it answers on every port.</param>
    /// <param name="RequiredPermission">The permission a data-plane route declares (<see cref="HoneyHive.ServiceDefaults.Auth.RequiredPermission"/>); null when none.</param>
    /// <param name="RequiredScope">The project API key scope that grants it; null when none does.</param>
    public sealed record RouteInfo(
        string[] Methods,
        string Pattern,
        string[] Hosts,
        [property: JsonPropertyName("required_permission")] string? RequiredPermission = null,
        [property: JsonPropertyName("required_scope")] string? RequiredScope = null);
}
