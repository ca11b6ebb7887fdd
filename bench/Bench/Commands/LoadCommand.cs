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
/// The headline rate is the highest a phase held while load was applied with the lag bounded; the
/// drain of the ramp's backlog after the load stops is a separate figure. Missing or duplicate
/// acknowledged spans, and lag markers that never appear, fail the run.
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

    private const int RampSteps = 5;
    private static readonly TimeSpan RampStep = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(3);

    /// <summary>
    /// A phase holds its rate only if every span it got acknowledged is queryable within this long after
    /// the phase ends: the store kept up while the load ran, with the lag bounded, rather than piling
    /// up a backlog to drain afterwards.
    /// </summary>
    private static readonly TimeSpan LagBound = TimeSpan.FromSeconds(10);

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
            // No memory settings of the bench's: the Host bounds its managed heap (Host.csproj) and chDB (ClickHouse:Memory) itself.
            // Only for GET /internal/faults/store-audit (rows as stored, for the duplicate check); no fault is
            // switched on, and the analytics decorator it adds is a flag check per call.
            ["Faults__Enabled"] = "true",
            [StoreCheck.ExactCounts.Key] = StoreCheck.ExactCounts.Value,
        };

        double sustained, peakRss, drainRate;
        LatencyRecorder lag;
        LoadResult fixedRate;
        long acked, stored, missing, duplicates, markersLost;
        double bytesPerMessage;
        await using (var host = await HostLauncher.StartAsync(settings, ct))
        {
            using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(120) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            using var sender = plan.Protocol == "grpc" ? (IOtlpSender)new GrpcSender(host.OtlpGrpc, host.ApiKey) : new HttpProtobufSender(host.OtlpHttp, host.ApiKey);
            using var markerSender = new HttpProtobufSender(host.OtlpHttp, host.ApiKey);
            await using var sampler = new ProcessSampler(() => host.ProcessId);
            Console.WriteLine($"# host pid {host.ProcessId} ready (memory bounded by the Host's own settings); warm-up 5 s");
            await LoadRun.RunAsync(sender, plan with { Duration = TimeSpan.FromSeconds(5), TargetSpansPerSecond = plan.TargetSpansPerSecond / 2 }, ct);

            // (1) Sustained fixed rate, with visibility-lag markers beside it.
            Console.WriteLine($"# sustained: {plan}");
            var ledger = new SpanLedger("load-" + Guid.NewGuid().ToString("N")[..12]);
            var viewExcessBefore = await StoreAudit.ViewExcessAsync(api, ct);
            sampler.ResetPeak();
            var cpuBefore = ProcessSampler.CpuTime(host.ProcessId);
            var clock = Stopwatch.StartNew();
            using (var stopMarkers = new CancellationTokenSource())
            {
                var markers = VisibilityProbe.RunAsync(markerSender, api, TimeSpan.FromMilliseconds(500), stopMarkers.Token);
                fixedRate = await LoadRun.RunAsync(sender, plan with { Ledger = ledger }, ct);
                await stopMarkers.CancelAsync();
                var visibility = await markers;
                (lag, markersLost) = (visibility.Lag, visibility.Lost);
            }
            var loadTime = clock.Elapsed;
            acked = ledger.Acknowledged;
            var (_, storedAfter) = await StoreCheck.WaitForCountAsync(api, ledger.RunId, acked, LagBound, ct);
            var heldFixed = storedAfter < LagBound && Held(fixedRate, plan.TargetSpansPerSecond);
            var (count, _) = await StoreCheck.WaitForCountAsync(api, ledger.RunId, acked, DrainLimit, ct);
            var allStored = clock.Elapsed;
            var cores = (ProcessSampler.CpuTime(host.ProcessId) - cpuBefore).TotalSeconds / allStored.TotalSeconds;
            await new PipelineState(BenchEnvironment.NatsUrl, null).WaitForEmptyBacklogAsync(DrainLimit, ct);
            var verdict = await StoreCheck.VerifyAsync(api, ledger, ct);
            var audit = await StoreAudit.RunAsync(api, ledger, ct);
            // Exactly the acknowledged spans found; anything missing or stored twice fails the run.
            stored = verdict.Found;
            missing = verdict.Missing;
            duplicates = verdict.Duplicates + audit.Duplicates(viewExcessBefore) + audit.SessionsOverLedger;
            // Spans acknowledged per second while the load ran, if the store kept up within the lag bound.
            sustained = heldFixed ? acked / fixedRate.Elapsed.TotalSeconds : 0;
            peakRss = sampler.PeakMegabytes;
            results.Add(new Measurement("load.target", "spans/s", plan.TargetSpansPerSecond ?? 0, plan.ToString()));
            results.Add(new Measurement("load.accepted", "spans/s", fixedRate.SpansPerSecond, $"{acked:N0} acked, {fixedRate.Refused} refused attempts ({fixedRate.Throttled} throttled)"));
            results.Add(new Measurement("load.fixed.held", "spans/s", sustained,
                heldFixed ? $"{acked:N0} acked in {loadTime.TotalSeconds:0.0} s, all queryable within {LagBound.TotalSeconds:0} s of the load's end"
                          : $"not held: acks below 90 % of the target, 429s, or not all queryable within {LagBound.TotalSeconds:0} s (all after {allStored.TotalSeconds:0.0} s, {count:N0} of {acked:N0})"));
            results.Add(new Measurement("load.ack", "p50 ms", fixedRate.Latency.Percentile(50), "from when each request was due (open-loop schedule) to its ack, retries included"));
            results.Add(new Measurement("load.ack", "p99 ms", fixedRate.Latency.Percentile(99)));
            results.Add(new Measurement("load.ack", "max ms", fixedRate.Latency.Max()));
            results.Add(new Measurement("load.lag", "p50 ms", lag.Percentile(50), $"{lag.Count} markers: first attempt (429s and retries included) to the marker span returned by POST /v1/events/search"));
            results.Add(new Measurement("load.lag", "p99 ms", lag.Percentile(99)));
            results.Add(new Measurement("load.lag.lost", "markers", markersLost, $"acked markers never returned within {VisibilityProbe.MaxWait.TotalSeconds:0} s (must be 0)"));
            results.Add(new Measurement("load.stored", "spans", stored, $"acknowledged spans found of {acked:N0}; {missing} missing (must be 0)"));
            results.Add(new Measurement("load.duplicates", "rows", duplicates,
                $"export {verdict.Duplicates}, stored twice without FINAL {audit.DuplicateRows}, view count beyond revisions {audit.ViewExcess}, sessions over the sent tokens {audit.SessionsOverLedger} of {audit.SessionsChecked} (must be 0)"));
            results.Add(new Measurement("host.cpu", "cores", cores, "CPU time / wall time of the sustained phase"));
            results.Add(new Measurement("host.peak_rss", "MB", peakRss, "the Host's own bounds: managed heap (Host.csproj), chDB (ClickHouse:Memory)"));

            // (2) Ramp to saturation: the rate doubles each step while the server keeps up.
            var rate = plan.TargetSpansPerSecond ?? 1000;
            for (var step = 0; step < RampSteps; step++)
            {
                var rampLedger = new SpanLedger($"ramp{step}-" + Guid.NewGuid().ToString("N")[..12]);
                sampler.ResetPeak();
                var stepResult = await LoadRun.RunAsync(sender, plan with { Duration = RampStep, TargetSpansPerSecond = rate, Ledger = rampLedger, RetryBudget = TimeSpan.FromSeconds(30) }, ct);
                var storedDuringStep = await StoreCheck.CountAsync(api, rampLedger.RunId, ct);
                var (_, stepStored) = await StoreCheck.WaitForCountAsync(api, rampLedger.RunId, rampLedger.Acknowledged, LagBound, ct);
                var keptUp = Held(stepResult, rate) && stepStored < LagBound;
                if (keptUp) sustained = Math.Max(sustained, rampLedger.Acknowledged / stepResult.Elapsed.TotalSeconds);
                var name = $"ramp.{rate:0}";
                results.Add(new Measurement(name, "spans/s", stepResult.SpansPerSecond,
                    string.Create(CultureInfo.InvariantCulture, $"target {rate:0}; ack p99 {stepResult.Latency.Percentile(99):0} ms; {stepResult.Throttled} throttled; stored by step end {storedDuringStep / stepResult.Elapsed.TotalSeconds:0}/s; peak RSS {sampler.PeakMegabytes:0} MB{(keptUp ? "" : "; saturated")}")));
                peakRss = Math.Max(peakRss, sampler.PeakMegabytes);
                Console.WriteLine($"#   ramp step {rate:0} spans/s: accepted {stepResult.SpansPerSecond:0}/s, {stepResult.Throttled} throttled");
                if (!keptUp) break;
                rate *= 2;
            }
            // The backlog the ramp left drains at the rate the Writer and the store manage with no load coming
            // in: a different figure from the sustained rate (reported as the drain rate, not the headline).
            var pipelineState = new PipelineState(BenchEnvironment.NatsUrl, null);
            var backlogAtEnd = await pipelineState.WriterBacklogAsync(ct) ?? 0;
            var drainClock = Stopwatch.StartNew();
            var countBefore = await StoreCheck.CountAsync(api, null, ct);
            await pipelineState.WaitForEmptyBacklogAsync(DrainLimit, ct);
            var drained = await StoreCheck.CountAsync(api, null, ct) - countBefore;
            drainRate = backlogAtEnd > 0 && drainClock.Elapsed > TimeSpan.FromSeconds(2) ? drained / drainClock.Elapsed.TotalSeconds : double.NaN;
            results.Add(new Measurement("pipeline.drain", "spans/s", drainRate,
                backlogAtEnd > 0 ? $"{drained:N0} spans of the ramp's backlog ({backlogAtEnd} messages) made queryable in {drainClock.Elapsed.TotalSeconds:0.0} s after the load stopped" : "no backlog after the ramp"));
            results.Add(new Measurement("load.sustained", "spans/s", sustained,
                $"highest phase rate (fixed or ramp step) acknowledged at ≥ 90 % of its target without 429s and all queryable within {LagBound.TotalSeconds:0} s of the phase's end"));
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
        var jetstreamRatio = sustained / jetstreamSpans;
        var chdbRatio = sustained / chdb;
        results.Add(new Measurement("ratio.jetstream", "ratio", jetstreamRatio, string.Create(CultureInfo.InvariantCulture, $"{jetstreamRatio:0.000}: sustained rate / JetStream ceiling")));
        results.Add(new Measurement("ratio.chdb", "ratio", chdbRatio, string.Create(CultureInfo.InvariantCulture, $"{chdbRatio:0.000}: sustained rate / chDB ceiling")));

        var ok = missing == 0 && duplicates == 0 && markersLost == 0;
        await ResultFile.PublishAsync("load", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"load: spans_per_s={sustained:0} accepted_per_s={fixedRate.SpansPerSecond:0} ack_p99_ms={fixedRate.Latency.Percentile(99):0} lag_p99_ms={lag.Percentile(99):0} peak_rss_mb={peakRss:0} jetstream_ratio={jetstreamRatio:0.000} chdb_ratio={chdbRatio:0.00} drain_spans_per_s={drainRate:0} acked={acked} stored={stored} duplicates={duplicates} markers_lost={markersLost}"), ct);
        return ok ? 0 : 1;
    }

    /// <summary>Acks kept up with the target (≥ 90 %) and back-pressure never answered 429.</summary>
    private static bool Held(LoadResult result, double? target) =>
        result.Throttled == 0 && (target is not { } t || result.SpansPerSecond >= t * 0.9);

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
