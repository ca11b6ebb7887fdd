using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Query;

/// <summary>
/// One measured API read: what it asks, and a check of its answer (a wrong answer fast is no result). A heavy read (an
/// export of 100k rows) may ask for fewer calls than the command's default.
/// </summary>
public sealed record Scenario(string Name, string Description, Func<CancellationToken, Task<string>> RunAsync, int? Repetitions = null, int? Warmups = null);

/// <summary>
/// The data-plane reads the API routes make, through the DataPlane.Api query classes themselves, wired
/// as QueryExtensions.AddDataPlaneQueries wires them (no object store: generated payloads are inline).
/// Each scenario calls the classes exactly as its route does and returns a short description of the
/// answer, which also proves it is the expected one.
/// </summary>
public sealed class DataPlaneScenarios(IAnalyticsStore store, Guid project, string largeSessionId, DateTimeOffset loadedAt)
{
    /// <summary>metadata.cost above this: about a sixth of the model calls (gpt-4o and claude-3-5-sonnet with long prompts).</summary>
    public const double CostThreshold = 0.01;

    // Queries__ExportChunkSize configures the Host too (the bench's environment is the Host's), so both phases export alike.
    private readonly QueryOptions options = new()
    {
        ExportChunkSize = int.TryParse(Environment.GetEnvironmentVariable("Queries__ExportChunkSize"), out var chunk) ? chunk : new QueryOptions().ExportChunkSize,
    };
    private readonly PayloadResolver payloads = new(new ServiceCollection().BuildServiceProvider(), NullLogger<PayloadResolver>.Instance);

    public IReadOnlyList<Scenario> All() => [Tree(), Search(), Search24h(), SessionList(), Chart(), Export()];

    /// <summary>GET /v1/sessions/{id}: the trace tree of the 1,000-span session.</summary>
    public Scenario Tree() => new("tree", "SessionQueries.TreeAsync, 1,000-span session", async ct =>
    {
        var tree = await new SessionQueries(store, options, payloads).TreeAsync(project, largeSessionId, ct)
                   ?? throw new InvalidOperationException($"The session {largeSessionId} has no tree.");
        // Written as the route writes it, so the figure includes the JSON as it did when the tree was a JsonObject.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 20);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 1_000_000 })) tree.Write(writer);
        var nodes = tree.Spans;
        if (nodes != TraceGenerator.LargeSessionSpans)
            throw new InvalidOperationException($"The tree of {largeSessionId} holds {nodes} spans, not {TraceGenerator.LargeSessionSpans}.");
        return $"{nodes} spans, {buffer.WrittenCount:N0} bytes";
    });

    /// <summary>POST /v1/events/search with two filters and limit 100: the page, then the total, as the route does.</summary>
    public Scenario Search() => SearchFrom("search", "whole range", null);

    /// <summary>The same search over the last 24 hours of the load, as HttpScenarios.Search24h.</summary>
    public Scenario Search24h() => SearchFrom("search_24h", "last 24 hours", loadedAt - TimeSpan.FromHours(24));

    private Scenario SearchFrom(string name, string range, DateTimeOffset? from) => new(name,
        $"EventQueries.PageAsync + TotalAsync, event_type is model AND metadata.cost > {CostThreshold}, limit 100, {range}", async ct =>
    {
        var search = EventSearch.From(new EventSearchRequest
        {
            Filters =
            [
                new EventFilter("event_type", "is", JsonSerializer.SerializeToElement("model"), "string"),
                new EventFilter("metadata.cost", "greater than", JsonSerializer.SerializeToElement(CostThreshold), "number"),
            ],
            Limit = 100,
        }, options.SearchMaxLimit);
        if (from is not null) search = search with { Scope = search.Scope with { From = from } };
        var queries = new EventQueries(store, payloads);
        var page = await queries.PageAsync(project, search, search.After, search.Limit, search.Offset, ct);
        var total = (await queries.TotalAsync(project, search, ct)).Count;
        if (page.Rows.Count != 100 || total < 100)
            throw new InvalidOperationException($"The search returned {page.Rows.Count} rows of {total}.");
        return $"100 rows of {total:N0}";
    });

    /// <summary>GET /v1/sessions (limit 100): session rows with exact per-session aggregates, and the total.</summary>
    public Scenario SessionList() => new("session_list", "SessionQueries.ListAsync, limit 100", async ct =>
    {
        var search = EventSearch.From(new EventSearchRequest { Limit = 100 }, options.SessionMaxLimit);
        // The route's default range: the last 7 days.
        search = search with { Scope = search.Scope with { From = DateTimeOffset.UtcNow - HoneyHive.DataPlane.Api.Apis.SessionsApi.DefaultRange } };
        var page = await new SessionQueries(store, options, payloads).ListAsync(project, search, ct);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        using (var writer = new Utf8JsonWriter(buffer)) page.Write(writer);
        if (page.Count != 100)
            throw new InvalidOperationException($"The session list returned {page.Count} sessions of {page.Total}.");
        return $"100 sessions of {page.Total:N0}{(page.TotalIsEstimate ? " (estimate)" : "")}";
    });

    /// <summary>
    /// POST /v1/events/export of <see cref="HttpScenarios.ExportRows"/> rows over the whole range, chunk by chunk as the
    /// route writes them (EventExportResult.WriteRowsAsync), into a writer that discards the bytes.
    /// </summary>
    public Scenario Export() => new("export", $"EventExportResult.WriteRowsAsync, {HttpScenarios.ExportRows:N0} rows, chunks of {options.ExportChunkSize:N0}", async ct =>
    {
        var search = EventSearch.From(new EventSearchRequest { Limit = HttpScenarios.ExportRows }, options.ExportMaxLimit);
        var sink = new System.Buffers.ArrayBufferWriter<byte>(1 << 20);
        long bytes = 0;
        await using var writer = new Utf8JsonWriter(sink);
        writer.WriteStartArray();
        var rows = await EventExportResult.WriteRowsAsync(new EventQueries(store, payloads, options), project, search, options.ExportChunkSize, writer, _ =>
        {
            bytes += sink.WrittenCount;
            sink.ResetWrittenCount();
            return Task.CompletedTask;
        }, ct);
        if (rows != HttpScenarios.ExportRows) throw new InvalidOperationException($"The export wrote {rows} rows, not {HttpScenarios.ExportRows}.");
        return $"{rows:N0} rows, {bytes / 1e6:0} MB";
    }, Repetitions: 3, Warmups: 1);

    /// <summary>GET /v1/events/chart?metric=duration&amp;bucket=day&amp;aggregation=average over every event of the project.</summary>
    public Scenario Chart() => new("chart", "ChartQueries.ChartAsync, average duration per day, whole range", async ct =>
    {
        var points = await new ChartQueries(store).ChartAsync(project, new ChartRequest(null, null, "duration", null, "day", "average", null), ct);
        if (points.Count == 0) throw new InvalidOperationException("The chart has no points.");
        return $"{points.Count} days, {points.Sum(p => p.Count):N0} events";
    });
}
