using System.Diagnostics;
using Google.Protobuf;
using HoneyHive.Bench.Limits;
using OpenTelemetry.Proto.Common.V1;

namespace HoneyHive.Bench.Load;

/// <summary>What one load phase achieved.</summary>
/// <param name="Refused">Attempts the server refused (each was retried unless its budget ran out).</param>
/// <param name="GaveUpSpans">Spans of requests still refused when their retry budget ran out.</param>
public sealed record LoadResult(
    string Protocol, double SpansPerSecond, long AcceptedSpans, long Refused, LatencyRecorder Latency, TimeSpan Elapsed,
    long SentSpans = 0, long GaveUpSpans = 0, long Throttled = 0);

/// <summary>
/// Drives OTLP load: closed loop (as fast as the server acks, <c>concurrency</c> requests in flight)
/// or paced at a target span rate. Every request carries fresh trace and span ids, so the server's
/// deduplication never makes a repeat cheaper than real traffic. A refused request is sent again,
/// unchanged, after the server's Retry-After (or an exponential backoff when it gave none), until its
/// retry budget runs out, as OTLP exporters do; latency is recorded per acknowledged request, from when
/// it was due (paced) or first sent (closed loop) until its ack, retries included.
/// </summary>
public static class LoadRun
{
    public const string RunIdAttribute = "bench_run_id";

    public static Task<LoadResult> RunAsync(
        IOtlpSender sender, int concurrency, int spansPerRequest, TimeSpan duration, double? targetSpansPerSecond, CancellationToken ct) =>
        RunAsync(sender, new LoadPlan
        {
            Concurrency = concurrency,
            SpansPerRequest = spansPerRequest,
            Duration = duration,
            TargetSpansPerSecond = targetSpansPerSecond,
            // The throughput phases keep the earlier behaviour: a request refused for long is dropped soon.
            RetryBudget = TimeSpan.FromSeconds(20),
            MaxRetryDelay = TimeSpan.FromSeconds(2),
        }, ct);

    public static async Task<LoadResult> RunAsync(IOtlpSender sender, LoadPlan plan, CancellationToken ct)
    {
        var latency = new LatencyRecorder();
        long accepted = 0, refused = 0, throttled = 0, sent = 0, sentSpans = 0, gaveUp = 0;
        var requestsPerSecond = plan.TargetSpansPerSecond / plan.SpansPerRequest;
        var sw = Stopwatch.StartNew();

        async Task WorkerAsync(int worker)
        {
            var template = new OtlpSpanFactory(seed: 1000 + worker).CreateRequest(plan.SpansPerRequest, plan.Shape, plan.PadChars);
            var spans = template.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
            if (plan.Ledger is { } ledger)
            {
                foreach (var span in spans) span.Attributes.Add(new KeyValue { Key = RunIdAttribute, Value = new AnyValue { StringValue = ledger.RunId } });
            }
            // Each request is a new trace and a new session of SpansPerRequest spans.
            var sessionAttributes = spans.SelectMany(s => s.Attributes).Where(a => a.Key == "honeyhive.session_id").ToList();
            // What the session roll-up view must add up for this request's session: its model spans' prompt tokens.
            var promptTokens = spans.SelectMany(s => s.Attributes).Where(a => a.Key == "gen_ai.usage.input_tokens").Sum(a => a.Value.IntValue);
            var parentSpans = spans.Where(s => !s.ParentSpanId.IsEmpty).ToList();
            // Ids from the shared generator: per-worker seeds could repeat across workers and phases,
            // and a repeated id is deduplicated by the server, which would flatter the numbers.
            var random = Random.Shared;
            var traceBytes = new byte[16];
            var spanBytes = new byte[8];
            while (sw.Elapsed < plan.Duration && !ct.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref sent) - 1;
                // Latency runs from when the request was due, not when a free worker got to send it: a
                // slow server delays the requests queued behind a slow one too (coordinated omission).
                // Closed loop has no schedule: a request is due when its worker is free.
                TimeSpan due;
                if (requestsPerSecond is { } rate)
                {
                    // Open-loop pacing: request n is due at n / rate seconds.
                    due = TimeSpan.FromSeconds(n / rate);
                    if (due > plan.Duration) break;
                    var wait = due - sw.Elapsed;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                }
                else
                {
                    due = sw.Elapsed;
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
                // The first span is the root: the others hang under it, as in a real trace.
                foreach (var span in parentSpans) span.ParentSpanId = spans[0].SpanId;
                Interlocked.Add(ref sentSpans, spans.Count);
                plan.Ledger?.Sending(spans.Count);

                var giveUpAt = sw.Elapsed + plan.RetryBudget;
                for (var attempt = 0; !ct.IsCancellationRequested; attempt++)
                {
                    var result = await sender.SendAsync(template, ct);
                    if (result.Accepted)
                    {
                        // Due to acknowledged, retries included: what the exporter waited for this batch.
                        latency.Record(sw.Elapsed - due);
                        Interlocked.Add(ref accepted, result.AcceptedSpans);
                        plan.Ledger?.Acknowledge(spans.Select(s => SpanKey.From(s.TraceId, s.SpanId)), sessionId, promptTokens);
                        break;
                    }

                    Interlocked.Increment(ref refused);
                    if (result.Throttled) Interlocked.Increment(ref throttled);
                    var retry = result.RetryAfter ?? Backoff(attempt, random);
                    if (retry > plan.MaxRetryDelay) retry = plan.MaxRetryDelay;
                    if (!result.Retryable || sw.Elapsed + retry > giveUpAt)
                    {
                        Interlocked.Add(ref gaveUp, spans.Count);
                        plan.Ledger?.GiveUp(spans.Count);
                        break;
                    }

                    await Task.Delay(retry, ct);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, plan.Concurrency).Select(w => Task.Run(() => WorkerAsync(w), ct)));
        sw.Stop();
        return new LoadResult(sender.Protocol, accepted / sw.Elapsed.TotalSeconds, accepted, refused, latency, sw.Elapsed, sentSpans, gaveUp, throttled);
    }

    /// <summary>OTLP exporters' default when the server gave no delay: exponential from 1 s with jitter.</summary>
    private static TimeSpan Backoff(int attempt, Random random) =>
        TimeSpan.FromMilliseconds(Math.Min(30_000, 1000 * Math.Pow(2, Math.Min(attempt, 5))) * (0.5 + random.NextDouble() / 2));
}
