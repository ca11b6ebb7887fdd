using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>Every list route bounds its page: a limit above the maximum is a 400 naming <c>limit</c>; the maximum itself is served.</summary>
[Collection(TenancyCollection.Name)]
public sealed class PaginationLimitTests(TenancyHost host)
{
    /// <summary>Route, request ({limit} stands for the value, {metric}/{config}/{run} for A's ids) and its largest page.</summary>
    public static TheoryData<string, string, string?, int> Lists => new()
    {
        { "GET /v1/sessions", "/v1/sessions?limit={limit}", null, 1000 },
        { "POST /v1/sessions/search", "/v1/sessions/search", """{"limit":{limit}}""", 1000 },
        { "POST /v1/events/search", "/v1/events/search", """{"limit":{limit}}""", 1000 },
        { "GET /events", "/events?limit={limit}", null, 1000 },
        { "GET /v1/charts", "/v1/charts?limit={limit}", null, 1000 },
        { "GET /v1/queues", "/v1/queues?limit={limit}", null, 1000 },
        { "GET /v1/queues/{queue_id}/items", "/v1/queues/{queue}/items?limit={limit}", null, 200 },
        // Exports stream in chunks, so their ceiling is far higher than a page's.
        { "POST /v1/events/export", "/v1/events/export", """{"limit":{limit}}""", 10_000_000 },
        { "POST /events/export", "/events/export", """{"limit":{limit}}""", 10_000_000 },
        { "GET /v1/metrics", "/v1/metrics?limit={limit}", null, 1000 },
        { "GET /metrics", "/metrics?limit={limit}", null, 1000 },
        { "GET /v1/metrics/{metric_id}/versions", "/v1/metrics/{metric}/versions?limit={limit}", null, 1000 },
        { "GET /v1/configurations", "/v1/configurations?limit={limit}", null, 1000 },
        { "GET /configurations", "/configurations?limit={limit}", null, 1000 },
        { "GET /v1/configurations/{configId}/versions", "/v1/configurations/{config}/versions?limit={limit}", null, 1000 },
        { "GET /v1/provider-secrets", "/v1/provider-secrets?limit={limit}", null, 1000 },
        { "GET /v1/model-aliases", "/v1/model-aliases?limit={limit}", null, 1000 },
        { "GET /v1/runs", "/v1/runs?limit={limit}", null, 100 },
        { "GET /runs", "/runs?limit={limit}", null, 100 },
        { "GET /v1/runs/{run_id}/metrics", "/v1/runs/{run}/metrics?limit={limit}", null, 10_000 },
        { "GET /v1/runs/{new_run_id}/compare/{old_run_id}/events", "/v1/runs/{run}/compare/{run}/events?limit={limit}", null, 1000 },
        { "GET /v1/runs/compare/events", "/v1/runs/compare/events?run_id_1={run}&run_id_2={run}&limit={limit}", null, 1000 },
        { "GET /v1/datasets", "/v1/datasets?limit={limit}", null, 1000 },
        { "GET /datasets", "/datasets?limit={limit}", null, 1000 },
        { "GET /v1/datapoints", "/v1/datapoints?limit={limit}", null, 10_000 },
        { "GET /datapoints", "/datapoints?limit={limit}", null, 10_000 },
    };

    /// <summary>GET routes without ids that take no limit, and why their answer is bounded anyway.</summary>
    private static readonly Dictionary<string, string> Unpaged = new(StringComparer.Ordinal)
    {
        ["GET /health"] = "not data",
        ["GET /alive"] = "not data",
        ["GET /internal/routes"] = "not data; test configuration only",
        ["GET /openapi/v1.json"] = "not data: the API's own description",
        ["GET /v1/projects"] = "the key's one project",
        ["GET /projects"] = "the key's one project",
        ["GET /v1/events/chart"] = "at most ChartQueries.MaxPoints points",
        ["GET /v1/events/schema"] = "at most 100000 fields (SchemaQueries)",
        ["GET /v1/runs/schema"] = "at most RunsOptions.MaxSchemaFields fields",
        ["GET /v1/models"] = "the workspace's aliases (at most ModelAliasStore.MaxAliasesPerWorkspace) and one entry per provider key",
    };

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task A_limit_above_the_maximum_is_refused_naming_limit(string route, string url, string? body, int max)
    {
        using var client = host.Api(host.A);
        foreach (var limit in new long[] { max + 1L, 1_000_000L, 10_000_000_000L }.Where(l => l > max))
        {
            var (status, text) = await SendAsync(client, route, url, body, limit);

            Assert.True(status == HttpStatusCode.BadRequest, $"{route} limit={limit}: {(int)status} {text}");
            var errors = JsonNode.Parse(text)?["errors"] as JsonObject;
            Assert.True(errors?.ContainsKey("limit") == true, $"{route} limit={limit}: the 400 does not name limit: {text}");
        }
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task The_maximum_itself_is_served(string route, string url, string? body, int max)
    {
        using var client = host.Api(host.A);

        var (status, text) = await SendAsync(client, route, url, body, max);

        Assert.True(status == HttpStatusCode.OK, $"{route} limit={max}: {(int)status} {text}");
    }

    [Fact]
    public async Task Every_list_route_is_in_the_limit_table_or_bounded_otherwise()
    {
        using var client = host.Client(host.DataPlaneApi);
        var port = "*:" + host.DataPlaneApi.Port.ToString(CultureInfo.InvariantCulture);
        var routes = JsonNode.Parse(await client.GetStringAsync(new Uri("/internal/routes", UriKind.Relative)))!.AsArray()
            .Where(r => r!["hosts"]!.AsArray().Count == 0 || r["hosts"]!.AsArray().Any(h => h!.GetValue<string>() == port))
            .Where(r => r!["methods"]!.AsArray().Any(m => m!.GetValue<string>() == "GET") || r["methods"]!.AsArray().Count == 0)
            .Select(r => "GET " + r!["pattern"]!.GetValue<string>().TrimEnd('/'))
            .Where(r => !r.Contains('{', StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var tabled = Lists.Select(row => (string)row[0]).ToHashSet(StringComparer.Ordinal);

        var unbounded = routes.Where(r => !tabled.Contains(r) && !Unpaged.ContainsKey(r)).Order(StringComparer.Ordinal).ToList();

        Assert.True(unbounded.Count == 0, "List routes without a tested limit:\n" + string.Join("\n", unbounded));
    }

    private Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, string route, string url, string? body, long limit)
    {
        string Fill(string text) => text
            .Replace("{limit}", limit.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{metric}", host.OfA.MetricId, StringComparison.Ordinal)
            .Replace("{config}", host.OfA.ConfigurationId, StringComparison.Ordinal)
            .Replace("{run}", host.OfA.RunId, StringComparison.Ordinal)
            .Replace("{queue}", host.OfA.QueueId, StringComparison.Ordinal);
        var method = new HttpMethod(route[..route.IndexOf(' ', StringComparison.Ordinal)]);
        return TenancyHost.SendAsync(client, method, Fill(url), body is null ? null : Fill(body));
    }
}
