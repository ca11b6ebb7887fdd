using System.Diagnostics;
using Google.Protobuf;
using HoneyHive.Bench.Limits;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Bench.Load;

/// <summary>What one load phase achieved.</summary>
public sealed record LoadResult(string Protocol, double SpansPerSecond, long AcceptedSpans, long Refused, LatencyRecorder Latency, TimeSpan Elapsed);

/// <summary>
/// Drives OTLP load: closed loop (as fast as the server acks, <c>concurrency</c> requests in flight)
/// or paced at a target span rate. Every request carries fresh trace and span ids, so the server's
/// deduplication never makes a repeat cheaper than real traffic.
/// </summary>
public static class LoadRun
{
    public static async Task<LoadResult> RunAsync(
        IOtlpSender sender, int concurrency, int spansPerRequest, TimeSpan duration, double? targetSpansPerSecond, CancellationToken ct)
    {
        var latency = new LatencyRecorder();
        long accepted = 0, refused = 0, sent = 0;
        var requestsPerSecond = targetSpansPerSecond / spansPerRequest;
        var sw = Stopwatch.StartNew();

        async Task WorkerAsync(int worker)
        {
            var template = new OtlpSpanFactory(seed: 1000 + worker).CreateRequest(spansPerRequest);
            var spans = template.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
            // Each request is a new trace and a new session of SpansPerRequest spans.
            var sessionAttributes = spans.SelectMany(s => s.Attributes).Where(a => a.Key == "honeyhive.session_id").ToList();
            var random = new Random(worker);
            var traceBytes = new byte[16];
            var spanBytes = new byte[8];
            while (sw.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref sent) - 1;
                if (requestsPerSecond is { } rate)
                {
                    // Open-loop pacing: request n is due at n / rate seconds.
                    var due = TimeSpan.FromSeconds(n / rate);
                    if (due > duration) break;
                    var wait = due - sw.Elapsed;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                }

                random.NextBytes(traceBytes);
                var traceId = ByteString.CopyFrom(traceBytes);
                var sessionId = new Guid(traceBytes).ToString();
                foreach (var attribute in sessionAttributes) attribute.Value.StringValue = sessionId;
                foreach (var span in spans)
                {
                    random.NextBytes(spanBytes);
                    span.TraceId = traceId;
                    span.SpanId = ByteString.CopyFrom(spanBytes);
                }

                // As OTLP exporters do: a refused request is sent again, unchanged, after Retry-After;
                // the server's deduplication makes a retry of a request it did store harmless.
                for (var attempt = 0; attempt < 10 && !ct.IsCancellationRequested; attempt++)
                {
                    var started = sw.Elapsed;
                    var result = await sender.SendAsync(template, ct);
                    latency.Record(sw.Elapsed - started);
                    if (result.Accepted)
                    {
                        Interlocked.Add(ref accepted, result.AcceptedSpans);
                        break;
                    }
                    Interlocked.Increment(ref refused);
                    var retry = result.RetryAfter ?? TimeSpan.FromSeconds(1);
                    await Task.Delay(retry < TimeSpan.FromSeconds(2) ? retry : TimeSpan.FromSeconds(2), ct);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(w), ct)));
        sw.Stop();
        return new LoadResult(sender.Protocol, accepted / sw.Elapsed.TotalSeconds, accepted, refused, latency, sw.Elapsed);
    }
}
