using System.Globalization;
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
/// </summary>
public static class IngestCommand
{
    private const int SpansPerRequest = 100;
    private const int Concurrency = 16;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(8);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        // Ingestion alone: the Writer stays off, so its inserts do not compete for the two cores
        // (`bench e2e` measures the whole pipeline).
        await using var host = await HostLauncher.StartAsync(new Dictionary<string, string> { ["Writer__ConsumeEvents"] = "false" }, ct);
        Console.WriteLine($"# host pid {host.ProcessId} ready; warming up");

        var results = new List<Measurement>();
        using (var warm = new HttpProtobufSender(host.OtlpHttp, host.ApiKey))
        {
            await LoadRun.RunAsync(warm, Concurrency, SpansPerRequest, TimeSpan.FromSeconds(3), null, ct);
        }

        // Every figure of the summary comes from one protocol's two runs: its closed-loop maximum with that
        // run's own latencies, then the paced run at half that rate with its own.
        var best = (Protocol: "none", Rate: 0.0, P50: double.NaN, P99: double.NaN, HalfRate: 0.0, HalfP50: double.NaN, HalfP99: double.NaN);
        foreach (var sender in new IOtlpSender[] { new HttpProtobufSender(host.OtlpHttp, host.ApiKey), new GrpcSender(host.OtlpGrpc, host.ApiKey) })
        {
            using (sender)
            {
                Console.WriteLine($"# {sender.Protocol}: closed loop, {Concurrency} in flight, {Phase.TotalSeconds} s");
                var cpuBefore = host.CpuTime();
                var max = await LoadRun.RunAsync(sender, Concurrency, SpansPerRequest, Phase, null, ct);
                var cpu = (host.CpuTime() - cpuBefore).TotalSeconds / max.Elapsed.TotalSeconds;
                Console.WriteLine($"# {sender.Protocol}: paced at half ({max.SpansPerSecond / 2:0} spans/s)");
                var half = await LoadRun.RunAsync(sender, Concurrency * 4, SpansPerRequest, Phase, max.SpansPerSecond / 2, ct);
                var name = $"ingest.{sender.Protocol}";
                results.Add(new Measurement(name, "spans/s", max.SpansPerSecond, $"{max.AcceptedSpans:N0} spans acked, {max.Refused} refused, host CPU {cpu:0.00} cores"));
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
