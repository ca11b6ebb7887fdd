using System.Globalization;
using HoneyHive.Bench.Ingest;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench ingest`: the running Host's OTLP intake. For HTTP/protobuf and gRPC, 100-span requests of
/// ~1 KB LLM spans: the most spans/s it acknowledges (closed loop) with that run's ack latency, then a
/// paced run at half that rate with its own ack latency (from when each request was due); and in the
/// same run the JetStream publish ceiling for messages the size ingestion publishes. The summary takes
/// every figure from the protocol with the higher maximum and names which run each comes from.
/// CPU per span (the Host's and this client's, in µs) is printed for each closed-loop run: on a shared
/// 2-core machine the client competes with the Host it measures, and CPU time per span compares runs
/// that wall-clock rates cannot. <c>--protocol http|grpc</c> runs one protocol only.
/// </summary>
public static class IngestCommand
{
    private const int SpansPerRequest = 100;
    private const int Concurrency = 16;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(8);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var protocol = ProtocolOption(args);
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();
        // First, before the Host takes the cores: ingestion's own work per event, without a server.
        foreach (var measurement in InProcessIngest.Measure())
        {
            Console.WriteLine($"# {measurement.Name}: {measurement.Value:0.0} {measurement.Unit} ({measurement.Note})");
            results.Add(measurement);
        }
        // Ingestion alone: the Writer stays off, so its inserts do not compete for the two cores
        // (`bench e2e` measures the whole pipeline).
        await using var host = await HostLauncher.StartAsync(new Dictionary<string, string> { ["Writer__ConsumeEvents"] = "false" }, ct);
        Console.WriteLine($"# host pid {host.ProcessId} ready; warming up");

        var senders = new List<IOtlpSender>();
        if (protocol is "both" or "http") senders.Add(new HttpProtobufSender(host.OtlpHttp, host.ApiKey));
        if (protocol is "both" or "grpc") senders.Add(new GrpcSender(host.OtlpGrpc, host.ApiKey));
        // Every protocol's own path warm before any is measured: the one measured first used to pay the
        // Host's JIT tier-up (see HostWarmup), and the gRPC path was never warmed at all.
        foreach (var sender in senders)
        {
            var warmup = await HostWarmup.RunAsync(sender, () => host.ProcessId, Concurrency, SpansPerRequest, ct);
            results.Add(new Measurement($"ingest.{sender.Protocol}.warmup", "windows", warmup.Windows, warmup.Note));
        }

        // Every figure of the summary comes from one protocol's two runs: its closed-loop maximum with that
        // run's own latencies, then the paced run at half that rate with its own.
        var best = (Protocol: "none", Rate: 0.0, P50: double.NaN, P99: double.NaN, HalfRate: 0.0, HalfP50: double.NaN, HalfP99: double.NaN);
        foreach (var sender in senders)
        {
            using (sender)
            {
                Console.WriteLine($"# {sender.Protocol}: closed loop, {Concurrency} in flight, {Phase.TotalSeconds} s");
                var cpuBefore = host.CpuTime();
                var kernelBefore = KernelCpuTime(host.ProcessId);
                var clientBefore = ClientCpuTime();
                var max = await LoadRun.RunAsync(sender, Concurrency, SpansPerRequest, Phase, null, ct);
                var hostCpu = host.CpuTime() - cpuBefore;
                var hostKernel = KernelCpuTime(host.ProcessId) - kernelBefore;
                var clientCpu = ClientCpuTime() - clientBefore;
                var cpu = hostCpu.TotalSeconds / max.Elapsed.TotalSeconds;
                Console.WriteLine($"# {sender.Protocol}: paced at half ({max.SpansPerSecond / 2:0} spans/s)");
                var half = await LoadRun.RunAsync(sender, Concurrency * 4, SpansPerRequest, Phase, max.SpansPerSecond / 2, ct);
                var name = $"ingest.{sender.Protocol}";
                results.Add(new Measurement(name, "spans/s", max.SpansPerSecond, $"{max.AcceptedSpans:N0} spans acked, {max.Refused} refused, host CPU {cpu:0.00} cores"));
                results.Add(new Measurement(name + ".host_cpu", "µs/span", PerSpan(hostCpu, max.AcceptedSpans),
                    string.Create(CultureInfo.InvariantCulture, $"of which kernel {PerSpan(hostKernel, max.AcceptedSpans):0.0}")));
                results.Add(new Measurement(name + ".client_cpu", "µs/span", PerSpan(clientCpu, max.AcceptedSpans), "the load generator, same cores"));
                results.Add(new Measurement(name + ".max_load", "ack p50 ms", max.Latency.Percentile(50)));
                results.Add(new Measurement(name + ".max_load", "ack p99 ms", max.Latency.Percentile(99)));
                results.Add(new Measurement(name + ".half_load", "spans/s", half.SpansPerSecond, $"{half.Refused} refused"));
                results.Add(new Measurement(name + ".half_load", "ack p50 ms", half.Latency.Percentile(50)));
                results.Add(new Measurement(name + ".half_load", "ack p99 ms", half.Latency.Percentile(99)));
                if (max.SpansPerSecond > best.Rate)
                {
                    best = (sender.Protocol, max.SpansPerSecond, max.Latency.Percentile(50), max.Latency.Percentile(99),
                        half.SpansPerSecond, half.Latency.Percentile(50), half.Latency.Percentile(99));
                }
            }
        }
        results.Add(new Measurement("host.rss", "MB", host.ResidentMegabytes()));

        var (messageBytes, ceilingSpans) = await MeasureCeilingAsync(ct);
        results.Add(new Measurement("jetstream.publish.same_bytes", "spans/s", ceilingSpans, $"{messageBytes:N0}-byte messages ({SpansPerRequest} events each), 512 in flight"));
        var ratio = ceilingSpans > 0 ? best.Rate / ceilingSpans : double.NaN;
        results.Add(new Measurement("ingest.ceiling_ratio", "ratio", ratio));

        await ResultFile.PublishAsync("ingest", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"ingest: spans_per_s={best.Rate:0} ack_p50_ms={best.P50:0.0} ack_p99_ms={best.P99:0.0} ceiling_ratio={ratio:0.00} measured=closed_loop protocol={best.Protocol} half_rate_spans_per_s={best.HalfRate:0} half_rate_ack_p50_ms={best.HalfP50:0.0} half_rate_ack_p99_ms={best.HalfP99:0.0}"), ct);
        return 0;
    }

    private static string ProtocolOption(string[] args)
    {
        var i = Array.IndexOf(args, "--protocol");
        if (i < 0) return "both";
        var value = i + 1 < args.Length ? args[i + 1] : "";
        return value switch
        {
            "http" or "http/protobuf" => "http",
            "grpc" => "grpc",
            _ => throw new ArgumentException($"--protocol must be http or grpc, not '{value}'."),
        };
    }

    private static TimeSpan ClientCpuTime()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>A process's system (kernel) CPU time from /proc (Linux), zero elsewhere: socket work shows there.</summary>
    private static TimeSpan KernelCpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesized command name; stime is the 15th field overall.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return TimeSpan.FromSeconds(long.Parse(fields[12], CultureInfo.InvariantCulture) / 100.0);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    private static double PerSpan(TimeSpan cpu, long spans) => spans > 0 ? cpu.TotalMicroseconds / spans : double.NaN;

    /// <summary>The size of what ingestion actually published (the last message), and how many such messages JetStream takes per second.</summary>
    private static async Task<(int MessageBytes, double SpansPerSecond)> MeasureCeilingAsync(CancellationToken ct)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = BenchEnvironment.NatsUrl, Name = "hh-bench-ingest" });
        var js = new NatsJSContext(connection);
        var events = await js.GetStreamAsync(HoneyHive.Contracts.Streams.Events, cancellationToken: ct);
        var last = await events.GetAsync(new StreamMsgGetRequest { LastBySubj = HoneyHive.Contracts.Topics.EventsIngested }, ct);
        var size = last.Message.Data.Length;

        var runId = Guid.NewGuid().ToString("N")[..12];
        var stream = $"BENCH_INGEST_{runId}";
        await js.CreateStreamAsync(new StreamConfig(stream, [$"bench.ingest.{runId}.>"])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = TimeSpan.FromMinutes(2),
            MaxBytes = 2L << 30,
            Discard = StreamConfigDiscard.Old,
        }, ct);
        try
        {
            var measured = await JetStreamPublishLimit.MeasureSizeAsync(js, $"bench.ingest.{runId}.m", "same-bytes", size, ct);
            return (size, measured[0].Value * SpansPerRequest);
        }
        finally
        {
            await js.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }
}
