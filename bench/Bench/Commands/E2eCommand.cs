using System.Diagnostics;
using System.Globalization;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench e2e`: the whole single-node pipeline. OTLP/gRPC load of 100-span requests (~1 KB LLM spans)
/// for a fixed time, then the time until every acknowledged span is a queryable row; visibility lag
/// from marker traces sent during the load (first attempt, refusals by back-pressure included → the
/// marker span itself is returned by the DP API; a marker that never appears fails the run); accepted =
/// stored checked by count; and the chDB insert ceiling for the same kind of rows into `events` with its views, in the same run.
/// The timed phase follows a warm-up of the same load (`--warmup S`, 10 s; 0 for none) whose spans are all stored
/// before the clock starts, so the figures are the running platform's and not its first minute's: in a 20 s run
/// on a fresh Host the JIT took a quarter of the Host's CPU (tiered compilation threads, 8-10 of 33 CPU seconds).
/// </summary>
public static class E2eCommand
{
    private const int SpansPerRequest = 100;
    private const int Concurrency = 16;
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var warmup = TimeSpan.FromSeconds(10);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--warmup" && i + 1 < args.Length && double.TryParse(args[++i], CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
                warmup = TimeSpan.FromSeconds(seconds);
            else
                throw new ArgumentException($"bench e2e: unknown or invalid argument '{args[i]}'. Usage: bench e2e [--warmup SECONDS]");
        }

        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();
        long accepted, stored, markersLost;
        double sustained;
        LatencyRecorder lag;
        await using (var host = await HostLauncher.StartAsync(new Dictionary<string, string>([StoreCheck.ExactCounts]), ct))
        {
            using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(60) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            using var sender = new GrpcSender(host.OtlpGrpc, host.ApiKey);
            long before = 0;
            if (warmup > TimeSpan.Zero)
            {
                Console.WriteLine($"# host pid {host.ProcessId} ready; warm-up: {warmup.TotalSeconds} s of the same load, then until it is all stored");
                var warm = await LoadRun.RunAsync(sender, Concurrency, SpansPerRequest, warmup, null, ct);
                (before, var drained) = await StoreCheck.WaitForCountAsync(api, null, warm.AcceptedSpans, DrainLimit, ct);
                if (before < warm.AcceptedSpans)
                    throw new InvalidOperationException($"bench e2e: the warm-up's {warm.AcceptedSpans} spans were not all stored within {DrainLimit} ({before} were).");
                Console.WriteLine($"# warm-up: {warm.AcceptedSpans:N0} spans acknowledged, stored within {drained.TotalSeconds:0} s after it");
            }
            Console.WriteLine($"# {LoadTime.TotalSeconds} s of OTLP/gRPC load with lag markers");

            var clock = Stopwatch.StartNew();
            using var stopMarkers = new CancellationTokenSource();
            var markers = VisibilityProbe.RunAsync(sender, api, TimeSpan.FromMilliseconds(500), stopMarkers.Token);
            var load = await LoadRun.RunAsync(sender, Concurrency, SpansPerRequest, LoadTime, null, ct);
            await stopMarkers.CancelAsync();
            var visibility = await markers;
            (lag, markersLost) = (visibility.Lag, visibility.Lost);
            accepted = load.AcceptedSpans + visibility.Spans;

            Console.WriteLine($"# {accepted:N0} spans acknowledged; waiting until all are stored");
            stored = 0;
            var drainDeadline = clock.Elapsed + DrainLimit;
            while (clock.Elapsed < drainDeadline)
            {
                stored = await StoreCheck.CountAsync(api, null, ct) - before;
                if (stored >= accepted) break;
                await Task.Delay(1000, ct);
            }
            sustained = stored / clock.Elapsed.TotalSeconds;
            results.Add(new Measurement("e2e.sustained", "spans/s", sustained, $"{accepted:N0} acked in {load.Elapsed.TotalSeconds:0} s, all stored after {clock.Elapsed.TotalSeconds:0} s"));
            results.Add(new Measurement("e2e.ingest_during_load", "spans/s", load.SpansPerSecond, $"{load.Refused} refused (retried after Retry-After)"));
            results.Add(new Measurement("e2e.lag", "p50 ms", lag.Percentile(50), $"{lag.Count} markers, first attempt (429s and retries included) to the marker span returned by POST /v1/events/search"));
            results.Add(new Measurement("e2e.lag.lost", "markers", markersLost, $"acked markers not returned within {VisibilityProbe.MaxWait.TotalSeconds:0} s (must be 0)"));
            results.Add(new Measurement("e2e.lag", "p99 ms", lag.Percentile(99)));
            results.Add(new Measurement("e2e.accepted", "spans", accepted));
            results.Add(new Measurement("e2e.stored", "spans", stored));
            results.Add(new Measurement("host.rss", "MB", host.ResidentMegabytes()));
        }

        // Into `events` with its views, the table the Writer fills: the ceiling bench writer and bench load divide by.
        Console.WriteLine("# chDB insert ceiling for the same rows, into events with its views");
        var ceiling = await ChdbInsertLimit.RowsPerSecondAsync(withViewsOnly: true, ct);
        results.Add(new Measurement("chdb.insert.ceiling", "rows/s", ceiling, "the faster format into events with its materialized views"));
        var ratio = ceiling > 0 ? sustained / ceiling : double.NaN;
        results.Add(new Measurement("e2e.ceiling_ratio", "ratio", ratio));

        await ResultFile.PublishAsync("e2e", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"e2e: spans_per_s={sustained:0} lag_p50_ms={lag.Percentile(50):0} lag_p99_ms={lag.Percentile(99):0} accepted={accepted} stored={stored} ceiling_ratio={ratio:0.00} markers_lost={markersLost}"), ct);
        return stored == accepted && markersLost == 0 ? 0 : 1;
    }
}
