using System.Globalization;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>
/// The routes the Host answers on its data-plane port, as "METHOD pattern", read from
/// <c>GET /internal/routes</c>: the one listing every route guard (tenancy, scopes) compares itself with.
/// </summary>
internal static class DataPlaneRoutes
{
    public static async Task<HashSet<string>> ListAsync(TenancyHost host)
    {
        using var client = host.Client(host.DataPlaneApi);
        var routes = JsonNode.Parse(await client.GetStringAsync(new Uri("/internal/routes", UriKind.Relative)))!.AsArray();
        var port = "*:" + host.DataPlaneApi.Port.ToString(CultureInfo.InvariantCulture);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var hosts = route!["hosts"]!.AsArray().Select(h => h!.GetValue<string>()).ToList();
            if (hosts.Count > 0 && !hosts.Contains(port)) continue;
            var pattern = route["pattern"]!.GetValue<string>();
            if (!pattern.StartsWith('/')) pattern = "/" + pattern;
            // MapGroup("/v1/metrics").MapGet("") lists as "/v1/metrics/"; it serves "/v1/metrics".
            if (pattern.Length > 1) pattern = pattern.TrimEnd('/');
            var methods = route["methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
            foreach (var method in methods.Count == 0 ? ["*"] : methods) result.Add($"{method} {pattern}");
        }

        return result;
    }
}
