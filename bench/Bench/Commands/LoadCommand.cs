using System.Diagnostics;
using System.Globalization;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using HoneyHive.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench load` (`./hh bench load`): the single-node Host under OTLP load of agent sessions (chain, model
/// and tool spans). (1) Sustained: a fixed rate for a while, with marker traces for visibility lag; every
/// acknowledged span is then checked in the store. (2) Ramp: the rate doubles each step until the server
/// stops keeping up (acks fall behind the target or back-pressure answers 429). Then, with the Host
/// stopped, the JetStream publish ceiling for messages of the size the run produced and the chDB insert
/// ceiling, so the sustained rate can be read as a share of what the parts can do on this machine.
/// </summary>
public static class LoadCommand
{
    private static readonly LoadPlan Defaults = new()
    {
        Concurrency = 16,
        SpansPerRequest = 50,
        Duration = TimeSpan.FromSeconds(20),
        TargetSpansPerSecond = 1500,
        Shape = SpanShape.Agent,
        Protocol = "http",
    };

    private const int HeapLimitMb = 768;
    private const int RampSteps = 5;
    private static readonly TimeSpan RampStep = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var plan = LoadPlan.Parse(args, Defaults, out var rest);
        if (rest.Count > 0) throw new ArgumentException($"Unknown option {rest[0]}.");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();
        var settings = new Dictionary<string, string>
        {
            ["DOTNET_GCHeapHardLimit"] = "0x" + (HeapLimitMb * 1024L * 1024L).ToString("X", CultureInfo.InvariantCulture),
        };

        double sustained, peakRss, capacity;
        LatencyRecorder lag;
        LoadResult fixedRate;
        long acked, stored;
        double bytesPerMessage;
        await using (var host = await HostLauncher.StartAsync(settings, ct))
        {
            using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(120) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            using var sender = plan.Protocol == "grpc" ? (IOtlpSender)new GrpcSender(host.OtlpGrpc, host.ApiKey) : new HttpProtobufSender(host.OtlpHttp, host.ApiKey);
            using var markerSender = new HttpProtobufSender(host.OtlpHttp, host.ApiKey);
            await using var sampler = new ProcessSampler(() => host.ProcessId);
            Console.WriteLine($"# host pid {host.ProcessId} ready (managed heap limit {HeapLimitMb} MB); warm-up 5 s");
            await LoadRun.RunAsync(sender, plan with { Duration = TimeSpan.FromSeconds(5), TargetSpansPerSecond = plan.TargetSpansPerSecond / 2 }, ct);

            // (1) Sustained fixed rate, with visibility-lag markers beside it.
            Console.WriteLine($"# sustained: {plan}");
            var ledger = new SpanLedger("load-" + Guid.NewGuid().ToString("N")[..12]);
            sampler.ResetPeak();
            var cpuBefore = ProcessSampler.CpuTime(host.ProcessId);
            var clock = Stopwatch.StartNew();
            using (var stopMarkers = new CancellationTokenSource())
            {
                var markers = VisibilityProbe.RunAsync(markerSender, api, TimeSpan.FromMilliseconds(500), stopMarkers.Token);
                fixedRate = await LoadRun.RunAsync(sender, plan with { Ledger = ledger }, ct);
                await stopMarkers.CancelAsync();
                (lag, _) = await markers;
            }
            acked = ledger.Acknowledged;
            var (count, _) = await StoreCheck.WaitForCountAsync(api, ledger.RunId, acked, DrainLimit, ct);
            var allStored = clock.Elapsed;
            var cores = (ProcessSampler.CpuTime(host.ProcessId) - cpuBefore).TotalSeconds / allStored.TotalSeconds;
            var verdict = await StoreCheck.VerifyAsync(api, ledger, ct);
            stored = verdict.Unique;
            sustained = count >= acked ? stored / allStored.TotalSeconds : double.NaN;
            peakRss = sampler.PeakMegabytes;
            results.Add(new Measurement("load.target", "spans/s", plan.TargetSpansPerSecond ?? 0, plan.ToString()));
            results.Add(new Measurement("load.accepted", "spans/s", fixedRate.SpansPerSecond, $"{acked:N0} acked, {fixedRate.Refused} refused attempts ({fixedRate.Throttled} throttled)"));
            results.Add(new Measurement("load.sustained", "spans/s", sustained, $"all {acked:N0} acked spans queryable {allStored.TotalSeconds:0.0} s after the first was sent"));
            results.Add(new Measurement("load.ack", "p50 ms", fixedRate.Latency.Percentile(50)));
            results.Add(new Measurement("load.ack", "p99 ms", fixedRate.Latency.Percentile(99)));
            results.Add(new Measurement("load.ack", "max ms", fixedRate.Latency.Max()));
            results.Add(new Measurement("load.lag", "p50 ms", lag.Percentile(50), $"{lag.Count} markers: ack to session visible on the DP API"));
            results.Add(new Measurement("load.lag", "p99 ms", lag.Percentile(99)));
            results.Add(new Measurement("load.stored", "spans", stored, $"{verdict.Duplicates} duplicates, {verdict.Missing} acked spans missing"));
            results.Add(new Measurement("host.cpu", "cores", cores, "CPU time / wall time of the sustained phase"));
            results.Add(new Measurement("host.peak_rss", "MB", peakRss, $"managed heap hard limit {HeapLimitMb} MB"));

            // (2) Ramp to saturation: the rate doubles each step while the server keeps up.
            var rate = plan.TargetSpansPerSecond ?? 1000;
            for (var step = 0; step < RampSteps; step++)
            {
                var rampLedger = new SpanLedger($"ramp{step}-" + Guid.NewGuid().ToString("N")[..12]);
                sampler.ResetPeak();
                var stepResult = await LoadRun.RunAsync(sender, plan with { Duration = RampStep, TargetSpansPerSecond = rate, Ledger = rampLedger, RetryBudget = TimeSpan.FromSeconds(30) }, ct);
                var storedDuringStep = await StoreCheck.CountAsync(api, rampLedger.RunId, ct);
                var keptUp = stepResult.SpansPerSecond >= rate * 0.9 && stepResult.Throttled == 0;
                var name = $"ramp.{rate:0}";
                results.Add(new Measurement(name, "spans/s", stepResult.SpansPerSecond,
                    string.Create(CultureInfo.InvariantCulture, $"target {rate:0}; ack p99 {stepResult.Latency.Percentile(99):0} ms; {stepResult.Throttled} throttled; stored by step end {storedDuringStep / stepResult.Elapsed.TotalSeconds:0}/s; peak RSS {sampler.PeakMegabytes:0} MB{(keptUp ? "" : "; saturated")}")));
                peakRss = Math.Max(peakRss, sampler.PeakMegabytes);
                Console.WriteLine($"#   ramp step {rate:0} spans/s: accepted {stepResult.SpansPerSecond:0}/s, {stepResult.Throttled} throttled");
                if (!keptUp) break;
                rate *= 2;
            }
            // The backlog the ramp left drains at the rate the Writer and the store can sustain end to end:
            // rows that became queryable per second while the Writer had work waiting.
            var pipelineState = new PipelineState(BenchEnvironment.NatsUrl, null);
            var backlogAtEnd = await pipelineState.WriterBacklogAsync(ct) ?? 0;
            var drainClock = Stopwatch.StartNew();
            var countBefore = await StoreCheck.CountAsync(api, null, ct);
            await pipelineState.WaitForEmptyBacklogAsync(DrainLimit, ct);
            var drained = await StoreCheck.CountAsync(api, null, ct) - countBefore;
            capacity = backlogAtEnd > 0 && drainClock.Elapsed > TimeSpan.FromSeconds(2) ? drained / drainClock.Elapsed.TotalSeconds : sustained;
            results.Add(new Measurement("pipeline.capacity", "spans/s", capacity,
                backlogAtEnd > 0 ? $"{drained:N0} spans of the ramp's backlog ({backlogAtEnd} messages) made queryable in {drainClock.Elapsed.TotalSeconds:0.0} s" : "no backlog after the ramp: the sustained rate"));
            bytesPerMessage = await AverageMessageBytesAsync(ct);
            results.Add(new Measurement("host.peak_rss.all", "MB", peakRss, "over the sustained phase and the ramp"));
        }

        // (3) Ceilings of the parts, measured in the same run with the Host stopped.
        Console.WriteLine($"# ceilings: JetStream publish of {bytesPerMessage / 1024:0} KB messages ({plan.SpansPerRequest} spans each), chDB insert");
        var jetstream = await JetStreamCeilingAsync((int)bytesPerMessage, ct);
        var jetstreamSpans = jetstream * plan.SpansPerRequest;
        var chdb = await ChdbInsertLimit.RowsPerSecondAsync(withViewsOnly: true, ct);
        results.Add(new Measurement("ceiling.jetstream", "spans/s", jetstreamSpans, $"{jetstream:0} msgs/s of {bytesPerMessage:0} B"));
        results.Add(new Measurement("ceiling.chdb", "rows/s", chdb, "JSONEachRow into events with its views (the Writer's path)"));
        var jetstreamRatio = capacity / jetstreamSpans;
        var chdbRatio = capacity / chdb;
        results.Add(new Measurement("ratio.jetstream", "ratio", jetstreamRatio, string.Create(CultureInfo.InvariantCulture, $"{jetstreamRatio:0.000}: pipeline capacity / JetStream ceiling")));
        results.Add(new Measurement("ratio.chdb", "ratio", chdbRatio, string.Create(CultureInfo.InvariantCulture, $"{chdbRatio:0.000}: pipeline capacity / chDB ceiling")));

        await ResultFile.PublishAsync("load", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"load: spans_per_s={capacity:0} accepted_per_s={fixedRate.SpansPerSecond:0} ack_p99_ms={fixedRate.Latency.Percentile(99):0} lag_p99_ms={lag.Percentile(99):0} peak_rss_mb={peakRss:0} jetstream_ratio={jetstreamRatio:0.000} chdb_ratio={chdbRatio:0.00}"), ct);
        return stored >= acked ? 0 : 1;
    }

    /// <summary>Mean size of the messages the run put on events-stream (what the JetStream ceiling is measured with).</summary>
    private static async Task<double> AverageMessageBytesAsync(CancellationToken ct)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = BenchEnvironment.NatsUrl, Name = "hh-bench-load" });
        var info = (await new NatsJSContext(connection).GetStreamAsync(Streams.Events, cancellationToken: ct)).Info.State;
        return info.Messages == 0 ? 64 * 1024 : (double)info.Bytes / info.Messages;
    }

    private static async Task<double> JetStreamCeilingAsync(int size, CancellationToken ct)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = BenchEnvironment.NatsUrl, Name = "hh-bench-load-ceiling" });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var id = Guid.NewGuid().ToString("N")[..12];
        var stream = $"BENCH_LOAD_{id}";
        await js.CreateStreamAsync(new StreamConfig(stream, [$"bench.load.{id}.>"])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = TimeSpan.FromMinutes(2),
            MaxBytes = 1L << 30,
            Discard = StreamConfigDiscard.Old,
        }, ct);
        try
        {
            var measured = await JetStreamPublishLimit.MeasureSizeAsync(js, $"bench.load.{id}.m", "jetstream.publish.run_size", size, ct);
            return measured.First(m => m.Unit == "msgs/s").Value;
        }
        finally
        {
            await js.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }
}
