using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench e2e`: the whole single-node pipeline. OTLP/gRPC load of 100-span requests (~1 KB LLM spans)
/// for a fixed time, then the time until every acknowledged span is a queryable row; visibility lag
/// from marker traces sent during the load (ack → their session answers on the DP API); accepted =
/// stored checked by count; and the chDB insert ceiling for the same kind of rows in the same run.
/// </summary>
public static class E2eCommand
{
    private const int SpansPerRequest = 100;
    private const int Concurrency = 16;
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();
        long accepted, stored;
        double sustained;
        LatencyRecorder lag;
        await using (var host = await HostLauncher.StartAsync(null, ct))
        {
            using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(60) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            using var sender = new GrpcSender(host.OtlpGrpc, host.ApiKey);
            Console.WriteLine($"# host pid {host.ProcessId} ready; {LoadTime.TotalSeconds} s of OTLP/gRPC load with lag markers");

            var clock = Stopwatch.StartNew();
            using var stopMarkers = new CancellationTokenSource();
            var markers = SendMarkersAsync(sender, api, stopMarkers.Token);
            var load = await LoadRun.RunAsync(sender, Concurrency, SpansPerRequest, LoadTime, null, ct);
            await stopMarkers.CancelAsync();
            (lag, var markerSpans) = await markers;
            accepted = load.AcceptedSpans + markerSpans;

            Console.WriteLine($"# {accepted:N0} spans acknowledged; waiting until all are stored");
            stored = 0;
            var drainDeadline = clock.Elapsed + DrainLimit;
            while (clock.Elapsed < drainDeadline)
            {
                stored = await CountStoredAsync(api, ct);
                if (stored >= accepted) break;
                await Task.Delay(1000, ct);
            }
            sustained = stored / clock.Elapsed.TotalSeconds;
            results.Add(new Measurement("e2e.sustained", "spans/s", sustained, $"{accepted:N0} acked in {load.Elapsed.TotalSeconds:0} s, all stored after {clock.Elapsed.TotalSeconds:0} s"));
            results.Add(new Measurement("e2e.ingest_during_load", "spans/s", load.SpansPerSecond, $"{load.Refused} refused (retried after Retry-After)"));
            results.Add(new Measurement("e2e.lag", "p50 ms", lag.Percentile(50), $"{lag.Count} markers, ack to session visible on the DP API"));
            results.Add(new Measurement("e2e.lag", "p99 ms", lag.Percentile(99)));
            results.Add(new Measurement("e2e.accepted", "spans", accepted));
            results.Add(new Measurement("e2e.stored", "spans", stored));
            results.Add(new Measurement("host.rss", "MB", host.ResidentMegabytes()));
        }

        Console.WriteLine("# chDB insert ceiling for the same rows");
        var ceiling = (await new ChdbInsertLimit().MeasureAsync(ct))
            .Where(m => m.Unit == "rows/s").Select(m => m.Value).DefaultIfEmpty(0).Max();
        results.Add(new Measurement("chdb.insert.ceiling", "rows/s", ceiling));
        var ratio = ceiling > 0 ? sustained / ceiling : double.NaN;
        results.Add(new Measurement("e2e.ceiling_ratio", "ratio", ratio));

        Console.WriteLine();
        ResultTable.Write(Console.Out, results);
        var path = await ResultFile.WriteAsync("e2e", startedAt, results, ct);
        Console.WriteLine();
        Console.WriteLine($"results: {path}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"e2e: spans_per_s={sustained:0} lag_p50_ms={lag.Percentile(50):0} lag_p99_ms={lag.Percentile(99):0} accepted={accepted} stored={stored} ceiling_ratio={ratio:0.00}"));
        return stored == accepted ? 0 : 1;
    }

    /// <summary>Every 500 ms a one-span trace; its lag is ack → its session answers with the span.</summary>
    private static async Task<(LatencyRecorder Lag, long Spans)> SendMarkersAsync(IOtlpSender sender, HttpClient api, CancellationToken stop)
    {
        var lag = new LatencyRecorder();
        var watchers = new List<Task>();
        long spans = 0;
        var factory = new OtlpSpanFactory(seed: 99);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var request = factory.CreateRequest(1);
                var traceId = Guid.NewGuid().ToByteArray();
                foreach (var span in request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
                {
                    span.TraceId = ByteString.CopyFrom(traceId);
                    span.Attributes.Remove(span.Attributes.FirstOrDefault(a => a.Key == "honeyhive.session_id"));
                }
                var result = await sender.SendAsync(request, CancellationToken.None);
                if (result.Accepted)
                {
                    spans += result.AcceptedSpans;
                    var acked = Stopwatch.GetTimestamp();
                    var sessionId = new Guid(traceId, bigEndian: true).ToString();
                    watchers.Add(WatchAsync(api, sessionId, acked, lag));
                }
                await Task.Delay(500, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await Task.WhenAll(watchers);
        return (lag, spans);
    }

    private static async Task WatchAsync(HttpClient api, string sessionId, long acked, LatencyRecorder lag)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            using var response = await api.GetAsync(new Uri($"/v1/sessions/{sessionId}", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                lag.Record(Stopwatch.GetElapsedTime(acked));
                return;
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Current (deduplicated) events of the project, from the DP API's own search count.</summary>
    private static async Task<long> CountStoredAsync(HttpClient api, CancellationToken ct)
    {
        using var response = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new { limit = 1 }, ct);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        return body["count"]!.GetValue<long>();
    }
}
