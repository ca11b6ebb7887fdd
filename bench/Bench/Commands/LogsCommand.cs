using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using NATS.Client.Core;
using NATS.Client.JetStream;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench logs`: OTLP logs intake against span intake of records of the same size, on one running Host (Writer
/// on, so both pay for the whole pipeline), both over HTTP/protobuf with the same client code. (1) Spans: closed
/// loop, 100 model spans per request, each carrying a prompt of <see cref="ContentChars"/> characters. (2) Logs:
/// closed loop, 100 GenAI events per request (system, user, assistant, tool message and a choice for each of 20
/// spans of run 1, so every record is merged into a stored span), each with a content of the same length.
/// (3) With the Writer caught up: join lag, the time from a log export's ack until a search returns its span with
/// all five messages; spans first (the usual order for a short call), then logs first (the records wait for
/// their span: from the span's ack).
/// </summary>
public static class LogsCommand
{
    private const int ItemsPerRequest = 100;
    private const int MessagesPerSpan = 5;
    private const int Concurrency = 16;
    private const int ContentChars = 600;
    private const int LagSamples = 40;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly string Content = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 20))[..ContentChars];

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (args.Length > 0) throw new ArgumentException($"unknown argument '{args[0]}'. Usage: bench logs");
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();
        await using var host = await HostLauncher.StartAsync(null, ct);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false }) { BaseAddress = host.OtlpHttp, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.ApiKey);
        using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.ApiKey);

        var spans = new SpanPool();
        Console.WriteLine($"# host pid {host.ProcessId} ready; warm-up {Warmup.TotalSeconds} s of each");
        await ClosedLoopAsync(client, "/v1/traces", () => Spans(spans), Warmup, ct);
        await ClosedLoopAsync(client, "/v1/logs", () => Logs(spans), Warmup, ct);

        // Each phase starts with the Writer caught up: a backlog left by the one before would put the next under
        // back-pressure (429 for a lag over 10 s) and measure the previous phase's drain instead of its own intake.
        await WaitForWriterAsync(client, ct);
        Console.WriteLine($"# spans: closed loop, {Concurrency} in flight, {Phase.TotalSeconds} s");
        var spanRun = await ClosedLoopAsync(client, "/v1/traces", () => Spans(spans), Phase, ct);
        await WaitForWriterAsync(client, ct);
        Console.WriteLine($"# logs: closed loop, {Concurrency} in flight, {Phase.TotalSeconds} s");
        var logRun = await ClosedLoopAsync(client, "/v1/logs", () => Logs(spans), Phase, ct);
        var spanBytes = Spans(new SpanPool()).CalculateSize() / (double)ItemsPerRequest;
        var recordBytes = Logs(spans).CalculateSize() / (double)ItemsPerRequest;
        results.Add(new Measurement("spans.same_size", "spans/s", spanRun.PerSecond, $"{spanRun.Items:N0} acked, {spanRun.Refused} refused, {spanBytes:0} bytes/span"));
        results.Add(new Measurement("spans.same_size", "ack p99 ms", spanRun.Latency.Percentile(99)));
        results.Add(new Measurement("logs", "records/s", logRun.PerSecond, $"{logRun.Items:N0} acked, {logRun.Refused} refused, {recordBytes:0} bytes/record"));
        results.Add(new Measurement("logs", "ack p99 ms", logRun.Latency.Percentile(99)));
        var ratio = spanRun.PerSecond > 0 ? logRun.PerSecond / spanRun.PerSecond : double.NaN;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# spans {spanRun.PerSecond:0}/s ({spanBytes:0} B each), records {logRun.PerSecond:0}/s ({recordBytes:0} B each)"));
        results.Add(new Measurement("logs.over_spans", "ratio", ratio));

        var drained = await WaitForWriterAsync(client, ct);
        Console.WriteLine($"# Writer caught up {drained.TotalSeconds:0.0} s after the load; join lag, {LagSamples} samples each order");
        results.Add(new Measurement("writer.drain_after_load", "s", drained.TotalSeconds));
        var spanFirst = new LatencyRecorder();
        var logFirst = new LatencyRecorder();
        for (var i = 0; i < LagSamples; i++) spanFirst.Record(await JoinLagAsync(client, api, logsFirst: false, ct));
        for (var i = 0; i < LagSamples; i++) logFirst.Record(await JoinLagAsync(client, api, logsFirst: true, ct));
        results.Add(new Measurement("join_lag.span_first", "p50 ms", spanFirst.Percentile(50)));
        results.Add(new Measurement("join_lag.span_first", "p99 ms", spanFirst.Percentile(99)));
        results.Add(new Measurement("join_lag.log_first", "p50 ms", logFirst.Percentile(50)));
        results.Add(new Measurement("join_lag.log_first", "p99 ms", logFirst.Percentile(99)));
        results.Add(new Measurement("host.rss", "MB", host.ResidentMegabytes()));

        await ResultFile.PublishAsync("logs", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"logs: records_per_s={logRun.PerSecond:0} join_lag_p99_ms={spanFirst.Percentile(99):0} span_baseline_per_s={spanRun.PerSecond:0} ratio={ratio:0.00} record_bytes={recordBytes:0} span_bytes={spanBytes:0} join_lag_p50_ms={spanFirst.Percentile(50):0} log_first_join_lag_p99_ms={logFirst.Percentile(99):0}"), ct);
        return 0;
    }

    private sealed record RunResult(double PerSecond, long Items, long Refused, LatencyRecorder Latency);

    /// <summary>As many requests as the Host acks, <see cref="Concurrency"/> in flight; a refused request counts and is not retried.</summary>
    private static async Task<RunResult> ClosedLoopAsync(HttpClient client, string path, Func<IMessage> next, TimeSpan duration, CancellationToken ct)
    {
        long items = 0, refused = 0;
        var latency = new LatencyRecorder();
        var sw = Stopwatch.StartNew();
        async Task WorkerAsync()
        {
            while (sw.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var body = next().ToByteArray();
                var started = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    latency.Record(Stopwatch.GetElapsedTime(started));
                    Interlocked.Add(ref items, ItemsPerRequest);
                }
                else
                {
                    Interlocked.Increment(ref refused);
                    // Back-pressure: wait as an exporter would rather than spin on refusals.
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(500), ct);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(WorkerAsync, ct)));
        return new RunResult(items / sw.Elapsed.TotalSeconds, items, refused, latency);
    }

    /// <summary>Spans sent so far (trace id, span id), handed out to the log phase so its records name stored spans.</summary>
    private sealed class SpanPool
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(byte[] Trace, byte[] Span)> sent = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<(byte[] Trace, byte[] Span)> used = new();

        public void Add(byte[] trace, byte[] span) => sent.Enqueue((trace, span));

        /// <summary>A stored span not yet given messages; once all have some, they are reused (their records differ in time, so they add messages).</summary>
        public (byte[] Trace, byte[] Span) Take()
        {
            if (sent.TryDequeue(out var next) || used.TryDequeue(out next))
            {
                used.Enqueue(next);
                return next;
            }
            return (Guid.NewGuid().ToByteArray(), Guid.NewGuid().ToByteArray()[..8]);
        }
    }

    private static ExportTraceServiceRequest Spans(SpanPool pool, byte[]? traceId = null, byte[]? spanId = null)
    {
        var trace = traceId ?? Guid.NewGuid().ToByteArray();
        var scope = new ScopeSpans();
        var start = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        for (var i = 0; i < (spanId is null ? ItemsPerRequest : 1); i++)
        {
            var id = spanId ?? Guid.NewGuid().ToByteArray()[..8];
            pool.Add(trace, id);
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(trace),
                SpanId = ByteString.CopyFrom(id),
                Name = "chat gpt-4o",
                Kind = Span.Types.SpanKind.Client,
                StartTimeUnixNano = start,
                EndTimeUnixNano = start + 900_000_000,
                Attributes =
                {
                    Attribute("gen_ai.operation.name", "chat"),
                    Attribute("gen_ai.request.model", "gpt-4o"),
                    // The same text a record carries, so a span and a record are the same size on the wire
                    // (an attribute no convention maps to a message: the span's chat history stays the records').
                    Attribute("app.prompt_template", Content),
                },
            });
        }
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    private static ExportLogsServiceRequest Logs(SpanPool pool)
    {
        var scope = new ScopeLogs();
        for (var i = 0; i < ItemsPerRequest / MessagesPerSpan; i++)
        {
            var (trace, span) = pool.Take();
            foreach (var record in Records(trace, span)) scope.LogRecords.Add(record);
        }
        return new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { scope } } } };
    }

    /// <summary>A model call's five GenAI events (semantic conventions 1.36), as the Python and JS instrumentations write them.</summary>
    private static IEnumerable<LogRecord> Records(byte[] trace, byte[] span)
    {
        var time = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 + (ulong)Random.Shared.Next(1_000_000);
        LogRecord Record(string name, ulong offset, params KeyValue[] body) => new()
        {
            TimeUnixNano = time + offset,
            SeverityNumber = SeverityNumber.Info,
            EventName = name,
            TraceId = ByteString.CopyFrom(trace),
            SpanId = ByteString.CopyFrom(span),
            Body = new AnyValue { KvlistValue = new KeyValueList { Values = { body } } },
            Attributes = { Attribute("gen_ai.system", "openai") },
        };
        yield return Record("gen_ai.system.message", 0, Attribute("content", Content));
        yield return Record("gen_ai.user.message", 1, Attribute("content", Content));
        yield return Record("gen_ai.assistant.message", 2, Attribute("content", Content));
        yield return Record("gen_ai.tool.message", 3, Attribute("content", Content), Attribute("id", "call_1"));
        yield return Record("gen_ai.choice", 4, Attribute("index", 0), Attribute("finish_reason", "stop"), new KeyValue
        {
            Key = "message",
            Value = new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("role", "assistant"), Attribute("content", Content) } } },
        });
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attribute(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    /// <summary>One span and its five records in two exports; from the second ack until a search shows the span with every message.</summary>
    private static async Task<TimeSpan> JoinLagAsync(HttpClient client, HttpClient api, bool logsFirst, CancellationToken ct)
    {
        var trace = Guid.NewGuid().ToByteArray();
        var span = Guid.NewGuid().ToByteArray()[..8];
        var spanBody = Spans(new SpanPool(), trace, span).ToByteArray();
        var logBody = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { Records(trace, span) } } } } } }.ToByteArray();
        var (first, second) = logsFirst ? (("/v1/logs", logBody), ("/v1/traces", spanBody)) : (("/v1/traces", spanBody), ("/v1/logs", logBody));
        await PostAsync(client, first.Item1, first.Item2, ct);
        await PostAsync(client, second.Item1, second.Item2, ct);
        var acked = Stopwatch.StartNew();
        var traceHex = Convert.ToHexStringLower(trace);
        while (acked.Elapsed < TimeSpan.FromSeconds(120))
        {
            using var search = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new
            {
                filters = new[] { new { field = "metadata.trace_id", @operator = "is", value = traceHex, type = "string" } },
                dateRange = new { start_time = 0 },
                limit = 10,
            }, ct);
            var events = JsonNode.Parse(await search.Content.ReadAsStringAsync(ct))?["events"] as JsonArray;
            // Four messages in the history, the choice in outputs.
            var joined = events?.Any(e => e?["inputs"]?["chat_history"] is JsonArray history && history.Count == MessagesPerSpan - 1 && e["outputs"]?["finish_reason"] is not null);
            if (joined == true) return acked.Elapsed;
            await Task.Delay(20, ct);
        }
        throw new InvalidOperationException($"bench logs: the span of trace {traceHex} did not show its messages within 120 s.");
    }

    private static async Task PostAsync(HttpClient client, string path, byte[] body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content, ct);
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"bench logs: {path} answered {(int)response.StatusCode}.");
    }

    /// <summary>
    /// Until both Writer consumers (events and GenAI messages) have nothing pending or unacked, and ingestion takes
    /// requests again: its back-pressure verdict follows the lag over a window of seconds, so the first requests after
    /// a drain could still be refused (every worker lost its Retry-After to that in the first runs).
    /// </summary>
    private static async Task<TimeSpan> WaitForWriterAsync(HttpClient client, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        await WaitForConsumersAsync(ct);
        var probe = Spans(new SpanPool(), Guid.NewGuid().ToByteArray(), Guid.NewGuid().ToByteArray()[..8]).ToByteArray();
        while (true)
        {
            using var content = new ByteArrayContent(probe);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var response = await client.PostAsync(new Uri("/v1/traces", UriKind.Relative), content, ct);
            if (response.StatusCode == HttpStatusCode.OK) return sw.Elapsed;
            await Task.Delay(250, ct);
        }
    }

    private static async Task WaitForConsumersAsync(CancellationToken ct)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = BenchEnvironment.NatsUrl, Name = "hh-bench-logs" });
        var js = new NatsJSContext(connection);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMinutes(5))
        {
            var events = (await js.GetConsumerAsync(HoneyHive.Contracts.Streams.Events, HoneyHive.Contracts.AppIds.Writer, ct)).Info;
            var genai = (await js.GetConsumerAsync(HoneyHive.Contracts.Streams.GenAi, HoneyHive.Contracts.AppIds.Writer + "-genai", ct)).Info;
            if (events.NumPending + (ulong)events.NumAckPending + genai.NumPending + (ulong)genai.NumAckPending == 0) return;
            await Task.Delay(250, ct);
        }
        throw new InvalidOperationException("bench logs: the Writer did not catch up within 5 minutes of the load.");
    }
}
