using System.Globalization;
using System.Text.Json;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Query;
using HoneyHive.Bench.Report;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench query [events] [--repetitions N] [--batch ROWS] [--keep] [--reuse DIR]`: loads realistic LLM
/// traces (default 10,000,000 events) into chDB under HH_TEST_DATA through the platform's own schema
/// migrations, then times the data-plane reads the API makes (trace tree, filtered search, session list,
/// chart) through the DataPlane.Api query classes and then through the Host's HTTP routes (API key,
/// JSON): p50/p99 over N calls each after warm-up, while the load's parts are still merging.
/// events= is read back from the store.
/// --keep leaves the data folder (and a note of what is in it) for --reuse, to try query variants on the
/// same data without loading it again; --only picks scenarios, and --sql STATEMENT times one statement
/// ({project:String} and {session:String} are bound to the loaded tenant and the large session; --sql @FILE times
/// each `name|statement` line of FILE). Goals (reported, not asserted): p99 tree &lt; 50 ms, search &lt; 200 ms,
/// chart &lt; 500 ms.
/// </summary>
public static class QueryCommand
{
    private const string NoteFile = "bench-query.json";
    private static readonly (string Scenario, double GoalMs)[] Goals = [("tree", 50), ("search", 200), ("search_24h", 200), ("session_list", 300), ("chart", 500)];

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable);
        var options = Options.Parse(args);
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");

        // A fresh load goes into a Host's own store, for the bootstrap project its API key reads: the Host
        // starts once (databases, key, schema), stops while the bench loads its chDB folder (one process
        // per folder), and starts again to serve the timed routes. --reuse and --sql time the classes only.
        HostLauncher? host = null;
        if (options.Reuse is null && options.Sql is null)
        {
            BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, "HH_TEST_PG", "HH_TEST_REDIS");
            host = await HostLauncher.StartAsync(null, ct);
            await host.StopAsync();
        }
        var dataPath = options.Reuse ?? (host is not null ? Path.Combine(host.WorkingDirectory, "clickhouse")
            : Path.Combine(BenchEnvironment.DataDirectory, "query-" + Guid.NewGuid().ToString("N")[..8]));
        var results = new List<Measurement>();
        var p99 = new[] { "tree", "search", "search_24h", "session_list", "chart", "export" }.ToDictionary(name => name, _ => double.NaN);
        long events, stored;
        long mergesAtStart;
        var via = "classes";
        try
        {
            Loaded loaded;
            using (var chdb = new ChdbAnalyticsStore(new ChdbOptions { LibraryPath = BenchEnvironment.ChdbLibrary, DataPath = dataPath }, NullLogger<ChdbAnalyticsStore>.Instance))
            {
                await new ClickHouseMigrator(chdb, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(ct);

                if (options.Reuse is not null)
                {
                    loaded = JsonSerializer.Deserialize<Loaded>(await File.ReadAllTextAsync(Path.Combine(dataPath, NoteFile), ct))!;
                    Console.WriteLine($"# reusing {dataPath}: {loaded.Events:N0} events loaded earlier");
                }
                else
                {
                    loaded = await LoadAsync(chdb, options, host?.ProjectId, ct);
                    await File.WriteAllTextAsync(Path.Combine(dataPath, NoteFile), JsonSerializer.Serialize(loaded), ct);
                }

                events = loaded.Events;
                // events= is what the store holds (one row per event after FINAL), not what the generator meant to write.
                stored = await StoredEventsAsync(chdb, ct);
                results.Add(new Measurement("load.events", "events", stored,
                    $"read back (count() FINAL) of {loaded.Events:N0} generated; {loaded.Rows:N0} rows with the session roll-up revisions{(stored == loaded.Events ? "" : "; MISMATCH")}"));
                results.Add(new Measurement("load.rate", "events/s", loaded.EventsPerSecond,
                    string.Create(CultureInfo.InvariantCulture, $"{loaded.Seconds:0} s, {loaded.MegabytesPerSecond:0.0} MB/s JSONEachRow, {loaded.Batches} batches, insert busy {loaded.InsertBusy:P0}, generator busy {loaded.GeneratorBusy:P0}")));

                // No waiting for merges: a production store serves reads while the parts that ingestion keeps
                // writing are merged in the background, so the timings below include that competition.
                mergesAtStart = await StoreFigures.RunningMergesAsync(chdb, ct);
                var (onDisk, uncompressed, parts) = await StoreFigures.EventPartsAsync(chdb, ct);
                var folder = StoreFigures.FolderBytes(chdb);
                results.Add(new Measurement("data.folder", "MB", folder / 1e6, "every file under the chDB data folder"));
                results.Add(new Measurement("data.events_on_disk", "MB", onDisk / 1e6,
                    string.Create(CultureInfo.InvariantCulture, $"system.parts of events: {uncompressed / 1e6:N0} MB uncompressed, {parts} active parts, {onDisk / (double)loaded.Rows:0} B/row")));
                results.Add(new Measurement("data.merges_at_timing", "merges", mergesAtStart, $"merges running when the timings started ({parts} active parts of events): timed while merging, as in production"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# timing while merging: {mergesAtStart} merges running, {parts} active parts; load average {ResultFile.LoadAverage()}"));

                if (options.Sql is not null)
                {
                    // --sql @FILE: one `name|statement` per line, timed in turn on the same open store.
                    var statements = options.Sql.StartsWith('@')
                        ? (await File.ReadAllLinesAsync(options.Sql[1..], ct)).Where(l => l.Contains('|')).Select(l => (Name: l[..l.IndexOf('|')], Sql: l[(l.IndexOf('|') + 1)..]))
                        : [(Name: "sql", Sql: options.Sql)];
                    foreach (var (name, sql) in statements)
                    {
                        Console.WriteLine($"## {name}");
                        await SqlProbe.RunAsync(chdb, sql, loaded.Project, loaded.LargeSessionId, options.Repetitions, ct);
                    }

                    return 0;
                }

                // The classes' statements are timed, to split each call into the store's time and ours; each floor is the
                // least the store reads for that answer (StoreFloors), so floor / call is the fraction of the store's
                // ceiling the route reaches on this machine.
                var timed = new TimedStore(chdb);
                var classes = new DataPlaneScenarios(timed, loaded.Project, loaded.LargeSessionId, loaded.LoadedAt);
                var classMedians = await TimeAsync("query.class", classes.All(), options, results, host is null ? p99 : null, ct, timed);
                var floorMedians = await TimeAsync("query.floor", new StoreFloors(chdb, loaded.Project, loaded.LargeSessionId, loaded.LoadedAt).All(), options, results, null, ct);
                foreach (var (name, floor) in floorMedians)
                {
                    if (!classMedians.TryGetValue(name, out var call)) continue;
                    results.Add(new Measurement($"query.floor.{name}.fraction", "ratio", floor / call,
                        string.Create(CultureInfo.InvariantCulture, $"floor p50 {floor:0.0} ms / the class's p50 {call:0.0} ms: 1 is the store's ceiling on this machine")));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# query.floor.{name}.fraction: {floor / call:0.00}"));
                }
            }

            if (host is not null)
            {
                await host.StartAgainAsync(ct);
                using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromMinutes(2) };
                api.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
                Console.WriteLine($"# the same reads through the Host's DP API ({host.DataPlaneApi}, API key, JSON)");
                await TimeAsync("query", new HttpScenarios(api, loaded.LargeSessionId, loaded.LoadedAt).All(), options, results, p99, ct);
                via = "http";
            }
        }
        finally
        {
            if (host is not null) await host.DisposeAsync();
            var folder = host?.WorkingDirectory ?? dataPath;
            if (!options.Keep && options.Reuse is null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            else Console.WriteLine($"# data kept in {Keep(dataPath, options)} (bench query --reuse DIR)");
        }

        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));
        await ResultFile.PublishAsync("query", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"query: events={stored} tree_p99_ms={p99["tree"]:0.0} search_p99_ms={p99["search"]:0.0} search_24h_p99_ms={p99["search_24h"]:0.0} session_list_p99_ms={p99["session_list"]:0.0} chart_p99_ms={p99["chart"]:0.0} export_100k_p99_ms={p99["export"]:0} via={via} merges_at_start={mergesAtStart}"), ct);
        return stored == events ? 0 : 1;
    }

    /// <summary>
    /// Times each scenario and answers each one's p50; its p99 goes to <paramref name="p99"/> when given (the figures of
    /// the summary line). With <paramref name="timed"/> (the store the scenarios call), also the time per call spent in
    /// the store's statements.
    /// </summary>
    private static async Task<Dictionary<string, double>> TimeAsync(string prefix, IEnumerable<Scenario> scenarios, Options options, List<Measurement> results,
        Dictionary<string, double>? p99, CancellationToken ct, TimedStore? timed = null)
    {
        var medians = new Dictionary<string, double>();
        foreach (var scenario in scenarios.Where(s => options.Only is null || options.Only.Contains(s.Name)))
        {
            var (latencies, answer) = await LatencyProbe.MeasureAsync(scenario, scenario.Warmups ?? options.Warmups, scenario.Repetitions ?? options.Repetitions, ct,
                onTimedStart: timed is null ? null : timed.Reset);
            medians[scenario.Name] = latencies.Percentile(50);
            if (timed is not null)
            {
                var storeMs = timed.Elapsed.TotalMilliseconds / latencies.Count;
                results.Add(new Measurement($"{prefix}.{scenario.Name}.store_ms", "ms", storeMs, string.Create(CultureInfo.InvariantCulture,
                    $"mean per call inside the store (chDB and parsing its answer), {timed.Statements / (double)latencies.Count:0.#} statements per call; the rest is our code")));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# {prefix}.{scenario.Name}.store_ms: {storeMs:0.0} ms per call in {timed.Statements / (double)latencies.Count:0.#} statements"));
            }
            var high = latencies.Percentile(99);
            if (p99 is not null) p99[scenario.Name] = high;
            results.Add(new Measurement($"{prefix}.{scenario.Name}.p50", "ms", latencies.Percentile(50), scenario.Description));
            var goal = Goals.FirstOrDefault(g => g.Scenario == scenario.Name).GoalMs;
            results.Add(new Measurement($"{prefix}.{scenario.Name}.p99", "ms", high,
                $"{answer}; {latencies.Count} calls, max {latencies.Max():0.0} ms" + (goal > 0 ? string.Create(CultureInfo.InvariantCulture, $"; goal < {goal} ms: {(high < goal ? "met" : "MISSED")}") : "")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# {prefix}.{scenario.Name}: p50 {latencies.Percentile(50):0.0} ms, p99 {high:0.0} ms ({answer})"));
        }
        return medians;
    }

    /// <summary>
    /// A fresh load kept with --keep moves out of HH_TEST_DATA to HH_BENCH_KEPT (set by ./hh bench), since the next
    /// ./hh bench wipes the scratch folder it lives in; the folder it is now in.
    /// </summary>
    private static string Keep(string dataPath, Options options)
    {
        var kept = Environment.GetEnvironmentVariable("HH_BENCH_KEPT");
        if (options.Reuse is not null || string.IsNullOrEmpty(kept) || !Directory.Exists(dataPath)) return dataPath;
        Directory.CreateDirectory(kept);
        var target = Path.Combine(kept, "query-" + DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture));
        Directory.Move(dataPath, target);
        return target;
    }

    private static async Task<long> StoredEventsAsync(IAnalyticsStore store, CancellationToken ct) =>
        long.Parse((await store.QueryAsync("SELECT toString(count()) AS n FROM events FINAL", null, ct))[0].GetProperty("n").GetString()!, CultureInfo.InvariantCulture);

    private static async Task<Loaded> LoadAsync(ChdbAnalyticsStore chdb, Options options, Guid? project, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var generator = new TraceGenerator(options.Events, options.Seed, now, project);
        Console.WriteLine($"# loading {options.Events:N0} events in batches of ~{options.BatchRows:N0} rows into {chdb.DataPath}");
        var figures = await EventLoader.LoadAsync(chdb, generator, options.BatchRows, f => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"#   {f.Events:N0} events generated, {f.Batches} batches inserted, {f.Elapsed.TotalSeconds:0} s, load average {ResultFile.LoadAverage()}")), ct);
        return new Loaded(generator.MainProject, generator.LargeSessionId, figures.Events, figures.Rows, figures.Bytes, figures.Batches,
            figures.Elapsed.TotalSeconds, figures.Generating / figures.Elapsed, figures.Inserting / figures.Elapsed, now);
    }

    /// <summary>What a load put in the data folder (kept beside it for --reuse); <c>LoadedAt</c> is the generator's "now", the end of its 30 days.</summary>
    private sealed record Loaded(Guid Project, string LargeSessionId, long Events, long Rows, long Bytes, int Batches, double Seconds, double GeneratorBusy, double InsertBusy, DateTimeOffset LoadedAt)
    {
        public double EventsPerSecond => Events / Seconds;
        public double MegabytesPerSecond => Bytes / Seconds / 1e6;
    }

    private sealed record Options(long Events, int Repetitions, int Warmups, int BatchRows, int Seed, bool Keep, string? Reuse)
    {
        /// <summary>Scenarios to run (all when null).</summary>
        public string[]? Only { get; init; }

        /// <summary>A statement to time instead of the scenarios (profiling variants on kept data).</summary>
        public string? Sql { get; init; }

        public static Options Parse(string[] args)
        {
            var options = new Options(10_000_000, 30, 3, 50_000, 42, false, null);
            for (var i = 0; i < args.Length; i++)
            {
                options = args[i] switch
                {
                    "--repetitions" => options with { Repetitions = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--warmups" => options with { Warmups = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--batch" => options with { BatchRows = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--seed" => options with { Seed = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--keep" => options with { Keep = true },
                    "--reuse" => options with { Reuse = args[++i] },
                    "--only" => options with { Only = args[++i].Split(',') },
                    "--sql" => options with { Sql = args[++i] },
                    var count when long.TryParse(count.Replace("_", "").Replace(",", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                        => options with { Events = n },
                    var other => throw new BenchEnvironmentException(
                        $"bench query: unknown argument '{other}'. Usage: bench query [events] [--repetitions N] [--warmups N] [--batch ROWS] [--seed N] [--keep] [--reuse DIR] [--only tree,search,search_24h,session_list,chart,export] [--sql STATEMENT]"),
                };
            }

            return options;
        }
    }
}
