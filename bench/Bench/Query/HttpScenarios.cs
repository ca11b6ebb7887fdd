using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.Bench.Query;

/// <summary>
/// The same four reads as <see cref="DataPlaneScenarios"/>, through the Host's DP API routes as a client
/// makes them: API-key authentication, routing, the query classes, JSON serialization of the answer and
/// its transfer over loopback HTTP, and the client's parse of the body (to check the answer).
/// </summary>
public sealed class HttpScenarios(HttpClient api, string largeSessionId)
{
    public IReadOnlyList<Scenario> All() => [Tree(), Search(), SessionList(), Chart()];

    public Scenario Tree() => new("tree", "GET /v1/sessions/{id}, 1,000-span session", async ct =>
    {
        var tree = (await GetAsync($"/v1/sessions/{largeSessionId}", ct)).AsObject();
        var nodes = Count(tree) - 1;
        if (nodes != TraceGenerator.LargeSessionSpans)
            throw new InvalidOperationException($"GET /v1/sessions/{largeSessionId} holds {nodes} spans, not {TraceGenerator.LargeSessionSpans}.");
        return $"{nodes} spans";
    });

    public Scenario Search() => new("search", $"POST /v1/events/search, event_type is model AND metadata.cost > {DataPlaneScenarios.CostThreshold}, limit 100", async ct =>
    {
        var request = new
        {
            filters = new object[]
            {
                new { field = "event_type", @operator = "is", value = "model", type = "string" },
                new { field = "metadata.cost", @operator = "greater than", value = DataPlaneScenarios.CostThreshold, type = "number" },
            },
            limit = 100,
        };
        using var response = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), request, ct);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        var rows = body["events"]!.AsArray().Count;
        var total = body["count"]!.GetValue<long>();
        if (rows != 100 || total < 100) throw new InvalidOperationException($"The search returned {rows} rows of {total}.");
        return $"100 rows of {total:N0}";
    });

    public Scenario SessionList() => new("session_list", "GET /v1/sessions?limit=100", async ct =>
    {
        var body = await GetAsync("/v1/sessions?limit=100", ct);
        var sessions = body["sessions"]!.AsArray().Count;
        if (sessions != 100) throw new InvalidOperationException($"The session list returned {sessions} sessions.");
        return string.Create(CultureInfo.InvariantCulture, $"100 sessions of {body["count"]!.GetValue<long>():N0}");
    });

    public Scenario Chart() => new("chart", "GET /v1/events/chart?metric=duration&bucket=day&aggregation=average, whole range", async ct =>
    {
        var body = await GetAsync("/v1/events/chart?metric=duration&bucket=day&aggregation=average", ct);
        var points = body["events"]!.AsArray().Count;
        if (points == 0) throw new InvalidOperationException("The chart has no points.");
        return string.Create(CultureInfo.InvariantCulture, $"{points} days, {body["totalEvents"]!.GetValue<long>():N0} events");
    });

    private async Task<JsonNode> GetAsync(string path, CancellationToken ct)
    {
        using var response = await api.GetAsync(new Uri(path, UriKind.Relative), ct);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
    }

    private static int Count(JsonObject node) =>
        1 + (node["children"]?.AsArray().Sum(child => Count(child!.AsObject())) ?? 0);
}
