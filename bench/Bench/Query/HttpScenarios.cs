using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.Bench.Query;

/// <summary>
/// The reads of <see cref="DataPlaneScenarios"/> and more, through the Host's DP API routes as a client
/// makes them: API-key authentication, routing, the query classes, JSON serialization of the answer and
/// its transfer over loopback HTTP, and the client's parse of the body (to check the answer). The routes
/// bound a request without a time range to a default window, so the whole-range scenarios name the whole
/// range (the generator's 30 days and a day of margin) explicitly.
/// </summary>
public sealed class HttpScenarios(HttpClient api, string largeSessionId, DateTimeOffset loadedAt)
{
    /// <summary>Rows of the export scenario.</summary>
    public const int ExportRows = 100_000;

    public IReadOnlyList<Scenario> All() => [Tree(), Search(), Search24h(), SessionList(), Chart(), Export()];

    private DateTimeOffset WholeRangeStart => loadedAt - TimeSpan.FromDays(31);

    public Scenario Tree() => new("tree", "GET /v1/sessions/{id}, 1,000-span session", async ct =>
    {
        var tree = (await GetAsync($"/v1/sessions/{largeSessionId}", ct)).AsObject();
        var nodes = Count(tree) - 1;
        if (nodes != TraceGenerator.LargeSessionSpans)
            throw new InvalidOperationException($"GET /v1/sessions/{largeSessionId} holds {nodes} spans, not {TraceGenerator.LargeSessionSpans}.");
        return $"{nodes} spans";
    });

    public Scenario Search() => SearchIn("search", "whole range", WholeRangeStart);

    /// <summary>The same search over the last 24 hours of the load (what a user opening the event list sees first).</summary>
    public Scenario Search24h() => SearchIn("search_24h", "last 24 hours", loadedAt - TimeSpan.FromHours(24));

    private Scenario SearchIn(string name, string range, DateTimeOffset from) => new(name,
        $"POST /v1/events/search, event_type is model AND metadata.cost > {DataPlaneScenarios.CostThreshold}, limit 100, {range}", async ct =>
    {
        var request = new
        {
            filters = new object[]
            {
                new { field = "event_type", @operator = "is", value = "model", type = "string" },
                new { field = "metadata.cost", @operator = "greater than", value = DataPlaneScenarios.CostThreshold, type = "number" },
            },
            dateRange = new { start_time = from.ToString("O", CultureInfo.InvariantCulture), end_time = (loadedAt + TimeSpan.FromDays(1)).ToString("O", CultureInfo.InvariantCulture) },
            limit = 100,
        };
        using var response = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), request, ct);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        var rows = body["events"]!.AsArray().Count;
        var total = body["count"]!.GetValue<long>();
        if (rows != 100 || total < 100) throw new InvalidOperationException($"The search returned {rows} rows of {total}.");
        var estimate = body["total_is_estimate"]?.GetValue<bool>() == true ? " (estimated)" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{rows} rows of {total:N0}{estimate}");
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
        var range = Uri.EscapeDataString(JsonSerializer.Serialize(new { start_time = WholeRangeStart.ToUnixTimeMilliseconds(), end_time = (loadedAt + TimeSpan.FromDays(1)).ToUnixTimeMilliseconds() }));
        var body = await GetAsync($"/v1/events/chart?metric=duration&bucket=day&aggregation=average&dateRange={range}", ct);
        var points = body["events"]!.AsArray().Count;
        if (points < 28) throw new InvalidOperationException($"The chart over 30 days has {points} points.");
        return string.Create(CultureInfo.InvariantCulture, $"{points} days, {body["totalEvents"]!.GetValue<long>():N0} events");
    });

    /// <summary>
    /// POST /v1/events/export of <see cref="ExportRows"/> rows over the whole range: the time until the client has read and
    /// counted every row of the streamed answer (a reader walks the tokens; no tree is built on the client side).
    /// </summary>
    public Scenario Export() => new("export", $"POST /v1/events/export, {ExportRows:N0} rows, whole range", async ct =>
    {
        var request = new
        {
            filters = Array.Empty<object>(),
            dateRange = new { start_time = WholeRangeStart.ToString("O", CultureInfo.InvariantCulture), end_time = (loadedAt + TimeSpan.FromDays(1)).ToString("O", CultureInfo.InvariantCulture) },
            limit = ExportRows,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/events/export", UriKind.Relative)) { Content = JsonContent.Create(request) };
        using var response = await api.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        var rows = CountEvents(body);
        if (rows != ExportRows) throw new InvalidOperationException($"The export returned {rows} rows, not {ExportRows}.");
        return string.Create(CultureInfo.InvariantCulture, $"{rows:N0} rows, {body.Length / 1e6:0} MB");
    }, Repetitions: 3, Warmups: 1);

    /// <summary>Elements of the top-level <c>events</c> array.</summary>
    private static int CountEvents(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        var count = 0;
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("events"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    count++;
                    reader.Skip();
                }

                return count;
            }

            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
            {
                reader.Read();
                reader.Skip();
            }
        }

        return count;
    }

    private async Task<JsonNode> GetAsync(string path, CancellationToken ct)
    {
        using var response = await api.GetAsync(new Uri(path, UriKind.Relative), ct);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
    }

    private static int Count(JsonObject node) =>
        1 + (node["children"]?.AsArray().Sum(child => Count(child!.AsObject())) ?? 0);
}
