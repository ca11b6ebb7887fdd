using System.Globalization;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>
/// The routes the Host answers on its data-plane port, as "METHOD pattern", read from
/// <c>GET /internal/routes</c>: the one listing every route guard (tenancy, scopes) compares itself with.
/// </summary>
internal static class DataPlaneRoutes
{
    public static async Task<HashSet<string>> ListAsync(TenancyHost host) => [.. (await ListWithPermissionsAsync(host)).Keys];

    /// <summary>Each route with the permission it declares and the key scope that grants it, as the listing states them.</summary>
    public static async Task<Dictionary<string, (string? Permission, string? Scope)>> ListWithPermissionsAsync(TenancyHost host)
    {
        using var client = host.Client(host.DataPlaneApi);
        var routes = JsonNode.Parse(await client.GetStringAsync(new Uri("/internal/routes", UriKind.Relative)))!.AsArray();
        var port = "*:" + host.DataPlaneApi.Port.ToString(CultureInfo.InvariantCulture);
        var result = new Dictionary<string, (string? Permission, string? Scope)>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var hosts = route!["hosts"]!.AsArray().Select(h => h!.GetValue<string>()).ToList();
            if (hosts.Count > 0 && !hosts.Contains(port)) continue;
            var pattern = route["pattern"]!.GetValue<string>();
            if (!pattern.StartsWith('/')) pattern = "/" + pattern;
            // MapGroup("/v1/metrics").MapGet("") lists as "/v1/metrics/"; it serves "/v1/metrics".
            if (pattern.Length > 1) pattern = pattern.TrimEnd('/');
            var methods = route["methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
            var declared = (route["required_permission"]?.GetValue<string>(), route["required_scope"]?.GetValue<string>());
            foreach (var method in methods.Count == 0 ? ["*"] : methods) result[$"{method} {pattern}"] = declared;
        }

        return result;
    }

    /// <summary>
    /// The legacy project routes: the DP forwards them to the control plane, which decides (a project key needs admin,
    /// anyone else projects:manage on the workspace). Keys are checked through the DP like any route's; access tokens
    /// are the CP's own to verify, so the fixture-signed tokens of the matrices are refused there. Real CP tokens on
    /// them are covered by SignedInUserTests and LegacyProjectRouteTests.
    /// </summary>
    public static readonly IReadOnlySet<string> ForwardedToControlPlane = new HashSet<string>(StringComparer.Ordinal)
    {
        "POST /v1/projects", "PUT /v1/projects", "DELETE /v1/projects", "POST /projects", "PUT /projects", "DELETE /projects",
    };
}
