using System.Globalization;
using System.Text.Json;
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
/// chart) through the DataPlane.Api query classes: p50/p99 over N calls each after warm-up.
/// --keep leaves the data folder (and a note of what is in it) for --reuse, to try query variants on the
/// same data without loading it again; --only picks scenarios, and --sql STATEMENT times one statement
/// ({project:String} and {session:String} are bound to the loaded tenant and the large session). Goals (reported, not asserted): p99 tree &lt; 50 ms, search &lt; 200 ms,
/// chart &lt; 500 ms.
/// </summary>
public static class QueryCommand
{
    private const string NoteFile = "bench-query.json";
    private static readonly (string Scenario, double GoalMs)[] Goals = [("tree", 50), ("search", 200), ("chart", 500)];

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable);
        var options = Options.Parse(args);
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");

        var dataPath = options.Reuse ?? Path.Combine(BenchEnvironment.DataDirectory, "query-" + Guid.NewGuid().ToString("N")[..8]);
        var results = new List<Measurement>();
        var p99 = new Dictionary<string, double> { ["tree"] = double.NaN, ["search"] = double.NaN, ["chart"] = double.NaN };
        long events;
        try
        {
            using var chdb = new ChdbAnalyticsStore(new ChdbOptions { LibraryPath = BenchEnvironment.ChdbLibrary, DataPath = dataPath }, NullLogger<ChdbAnalyticsStore>.Instance);
            await new ClickHouseMigrator(chdb, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(ct);

            Loaded loaded;
            if (options.Reuse is not null)
            {
                loaded = JsonSerializer.Deserialize<Loaded>(await File.ReadAllTextAsync(Path.Combine(dataPath, NoteFile), ct))!;
                Console.WriteLine($"# reusing {dataPath}: {loaded.Events:N0} events loaded earlier");
            }
            else
            {
                loaded = await LoadAsync(chdb, options, ct);
                await File.WriteAllTextAsync(Path.Combine(dataPath, NoteFile), JsonSerializer.Serialize(loaded), ct);
            }

            events = loaded.Events;
            results.Add(new Measurement("load.events", "events", loaded.Events, $"{loaded.Rows:N0} rows with the session roll-up revisions"));
            results.Add(new Measurement("load.rate", "events/s", loaded.EventsPerSecond,
                string.Create(CultureInfo.InvariantCulture, $"{loaded.Seconds:0} s, {loaded.MegabytesPerSecond:0.0} MB/s JSONEachRow, {loaded.Batches} batches, insert busy {loaded.InsertBusy:P0}, generator busy {loaded.GeneratorBusy:P0}")));

            var settled = await StoreFigures.SettleAsync(chdb, TimeSpan.FromMinutes(3), ct);
            var (onDisk, uncompressed, parts) = await StoreFigures.EventPartsAsync(chdb, ct);
            var folder = StoreFigures.FolderBytes(chdb);
            results.Add(new Measurement("data.folder", "MB", folder / 1e6, "every file under the chDB data folder"));
            results.Add(new Measurement("data.events_on_disk", "MB", onDisk / 1e6,
                string.Create(CultureInfo.InvariantCulture, $"system.parts of events: {uncompressed / 1e6:N0} MB uncompressed, {parts} active parts, {onDisk / (double)loaded.Rows:0} B/row")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# merges settled after {settled.TotalSeconds:0} s; {parts} active parts; load average {ResultFile.LoadAverage()}"));

            if (options.Sql is not null)
            {
                await SqlProbe.RunAsync(chdb, options.Sql, loaded.Project, loaded.LargeSessionId, options.Repetitions, ct);
                return 0;
            }

            var scenarios = new DataPlaneScenarios(chdb, loaded.Project, loaded.LargeSessionId);
            foreach (var scenario in scenarios.All().Where(s => options.Only is null || options.Only.Contains(s.Name)))
            {
                var (latencies, answer) = await LatencyProbe.MeasureAsync(scenario, options.Warmups, options.Repetitions, ct);
                p99[scenario.Name] = latencies.Percentile(99);
                results.Add(new Measurement($"query.{scenario.Name}.p50", "ms", latencies.Percentile(50), scenario.Description));
                var goal = Goals.FirstOrDefault(g => g.Scenario == scenario.Name).GoalMs;
                results.Add(new Measurement($"query.{scenario.Name}.p99", "ms", p99[scenario.Name],
                    $"{answer}; {latencies.Count} calls, max {latencies.Max():0.0} ms" + (goal > 0 ? string.Create(CultureInfo.InvariantCulture, $"; goal < {goal} ms: {(p99[scenario.Name] < goal ? "met" : "MISSED")}") : "")));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# {scenario.Name}: p50 {latencies.Percentile(50):0.0} ms, p99 {p99[scenario.Name]:0.0} ms ({answer})"));
            }
        }
        finally
        {
            if (!options.Keep && options.Reuse is null && Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
            else Console.WriteLine($"# data kept in {dataPath} (bench query --reuse {dataPath})");
        }

        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));
        await ResultFile.PublishAsync("query", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"query: events={events} tree_p99_ms={p99["tree"]:0.0} search_p99_ms={p99["search"]:0.0} chart_p99_ms={p99["chart"]:0.0}"), ct);
        return 0;
    }

    private static async Task<Loaded> LoadAsync(ChdbAnalyticsStore chdb, Options options, CancellationToken ct)
    {
        var generator = new TraceGenerator(options.Events, options.Seed, DateTimeOffset.UtcNow);
        Console.WriteLine($"# loading {options.Events:N0} events in batches of ~{options.BatchRows:N0} rows into {chdb.DataPath}");
        var figures = await EventLoader.LoadAsync(chdb, generator, options.BatchRows, f => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"#   {f.Events:N0} events generated, {f.Batches} batches inserted, {f.Elapsed.TotalSeconds:0} s, load average {ResultFile.LoadAverage()}")), ct);
        return new Loaded(generator.MainProject, generator.LargeSessionId, figures.Events, figures.Rows, figures.Bytes, figures.Batches,
            figures.Elapsed.TotalSeconds, figures.Generating / figures.Elapsed, figures.Inserting / figures.Elapsed);
    }

    /// <summary>What a load put in the data folder (kept beside it for --reuse).</summary>
    private sealed record Loaded(Guid Project, string LargeSessionId, long Events, long Rows, long Bytes, int Batches, double Seconds, double GeneratorBusy, double InsertBusy)
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
                        $"bench query: unknown argument '{other}'. Usage: bench query [events] [--repetitions N] [--warmups N] [--batch ROWS] [--seed N] [--keep] [--reuse DIR] [--only tree,search,session_list,chart] [--sql STATEMENT]"),
                };
            }

            return options;
        }
    }
}
