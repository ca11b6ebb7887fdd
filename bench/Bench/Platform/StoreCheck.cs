using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Bench.Load;

namespace HoneyHive.Bench.Platform;

/// <summary>What the store holds for one run, read back through the DP API as a user would.</summary>
/// <param name="Acknowledged">Spans the server acknowledged (the ledger).</param>
/// <param name="Rows">Rows the export returned for the run.</param>
/// <param name="Unique">Distinct spans among them.</param>
/// <param name="Missing">Acknowledged spans not among them.</param>
/// <param name="Unacknowledged">Stored spans the ledger never saw acked (a request whose ack was lost, then given up).</param>
/// <param name="MissingKeys">The acknowledged spans not among them.</param>
public sealed record StoreVerdict(long Acknowledged, long Rows, long Unique, long Missing, long Unacknowledged, IReadOnlyCollection<SpanKey> MissingKeys)
{
    /// <summary>Acknowledged spans found in the store.</summary>
    public long Found => Acknowledged - Missing;

    /// <summary>Rows a query returns more than once for the same span.</summary>
    public long Duplicates => Rows - Unique;
}

/// <summary>
/// Counts and checks a run's spans through <c>POST /v1/events/search</c> (count) and
/// <c>POST /v1/events/export</c> (every row, streamed), filtered on the run's <c>bench_run_id</c>.
/// </summary>
public static class StoreCheck
{
    private static object[] RunFilter(string? runId) => runId is null
        ? [new { field = "event_type", @operator = "is not", value = "session", type = "string" }]
        :
        [
            new { field = "metadata." + LoadRun.RunIdAttribute, @operator = "is", value = runId, type = "string" },
            new { field = "event_type", @operator = "is not", value = "session", type = "string" },
        ];

    /// <summary>
    /// The Host setting under which the API counts exactly whatever the rows in scope (<see cref="ExactCounts"/>):
    /// above <c>Queries:ExactCountMaxRows</c> it estimates without FINAL, counting copies not merged yet, and a
    /// bench would see everything stored before it was.
    /// </summary>
    public static KeyValuePair<string, string> ExactCounts { get; } = new("Queries__ExactCountMaxRows", "1000000000000");

    /// <summary>Current (deduplicated) span events of the run (all runs when null), from the API's own exact count.</summary>
    /// <exception cref="InvalidOperationException">The API answered an estimate: the Host was started without <see cref="ExactCounts"/>.</exception>
    public static async Task<long> CountAsync(HttpClient api, string? runId, CancellationToken ct)
    {
        using var response = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new { filters = RunFilter(runId), limit = 1 }, ct);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        if (body["total_is_estimate"]?.GetValue<bool>() == true)
            throw new InvalidOperationException($"The store count is an estimate; start the Host with {ExactCounts.Key}={ExactCounts.Value} to count exactly.");
        return body["count"]!.GetValue<long>();
    }

    /// <summary>Polls the count until it reaches <paramref name="expected"/> or <paramref name="limit"/> passes; the time it took.</summary>
    public static async Task<(long Count, TimeSpan Elapsed)> WaitForCountAsync(HttpClient api, string? runId, long expected, TimeSpan limit, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long count = 0;
        while (clock.Elapsed < limit)
        {
            try
            {
                count = await CountAsync(api, runId, ct);
                if (count >= expected) break;
            }
            catch (HttpRequestException)
            {
                // The API may be restarting or its store failing on purpose: keep polling.
            }
            await Task.Delay(500, ct);
        }
        return (count, clock.Elapsed);
    }

    /// <summary>Exports every row of the run and compares it with the ledger.</summary>
    public static async Task<StoreVerdict> VerifyAsync(HttpClient api, SpanLedger ledger, CancellationToken ct)
    {
        var request = new
        {
            filters = RunFilter(ledger.RunId),
            projections = new[] { "event_id", "metadata.trace_id", "metadata.span_id" },
            limit = 10_000_000,
        };
        using var response = await api.PostAsJsonAsync(new Uri("/v1/events/export", UriKind.Relative), request, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: ct);

        long rows = 0;
        var seen = new HashSet<SpanKey>();
        foreach (var row in document.RootElement.GetProperty("events").EnumerateArray())
        {
            rows++;
            var metadata = row.TryGetProperty("metadata", out var m) ? m : default;
            var key = SpanKey.FromHex(Text(metadata, "trace_id"), Text(metadata, "span_id"));
            if (key is { } k) seen.Add(k);
        }

        var acknowledged = ledger.Snapshot();
        var missing = acknowledged.Where(k => !seen.Contains(k)).ToList();
        var unacknowledged = seen.LongCount(k => !ledger.Contains(k));
        return new StoreVerdict(acknowledged.Count, rows, seen.Count, missing.Count, unacknowledged, missing);
    }

    private static string? Text(JsonElement bucket, string key) =>
        bucket.ValueKind == JsonValueKind.Object && bucket.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
