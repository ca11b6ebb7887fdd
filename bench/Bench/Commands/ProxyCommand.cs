using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Proxy;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench proxy [--rate R] [--duration S] [--streams N] [--no-limits]`: the LLM proxy of a single-node Host (tracing on: every call
/// becomes a model event through NATS and the Writer, as in production) in front of <see cref="BenchUpstream"/>, a
/// local OpenAI-wire server in this process that answers at once. overhead_p50/p99_ms: non-streamed completions paced
/// at R/s, latency from when each call was due, through the proxy minus the same percentile calling the upstream
/// directly (rounds alternate, direct first). ttft_added_ms: streamed completions paced at R/4 per second, time from due
/// to the first content chunk, proxy p50 minus direct p50. streams: N streams opened at once through the proxy, each
/// one chunk a second for 10 s; the count that received every chunk and [DONE] while all N were open (the first chunk
/// of every one arrived before any ended). Goals (reported, not asserted): overhead_p99_ms &lt;= 5, streams = 1000.
/// </summary>
public static class ProxyCommand
{
    private const string Route = "/v1/chat/completions";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var options = Options.Parse(args);
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable,
            "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");

        await using var upstream = await BenchUpstream.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["LlmProxy__ProviderBaseUrls__openai"] = upstream.BaseUrl,
            // The upstream is on loopback: allowed on purpose, as an operator allows a local Ollama.
            ["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1",
            // Limits far above the bench's load: their Redis round trips are measured, their refusals never hit.
            // --no-limits turns them off (0), to see what those round trips cost.
            ["LlmProxy__Limits__RequestsPerMinute"] = options.Limits ? "10000000" : "0",
            ["LlmProxy__Limits__MaxConcurrent"] = options.Limits ? (options.Streams * 2).ToString(CultureInfo.InvariantCulture) : "0",
        };
        var results = new List<Measurement>();
        double overheadP50, overheadP99, ttftAdded;
        int streamsHeld;
        await using (var host = await HostLauncher.StartAsync(settings, ct))
        {
            try
            {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
            await StoreKeyAsync(http, host, ct);
            var proxy = new Target("proxy", new Uri(host.DataPlaneApi, Route), "openai/fast", host.ApiKey);
            var direct = new Target("direct", new Uri(upstream.BaseUrl + "/chat/completions"), "fast", "sk-bench");

            // Warm both paths (JIT, connection pools, the first event's publish) before anything is recorded.
            await PacedAsync(http, direct, options.Rate, TimeSpan.FromSeconds(2), stream: false, ct);
            await PacedAsync(http, proxy, options.Rate, TimeSpan.FromSeconds(2), stream: false, ct);
            await PacedAsync(http, proxy, options.Rate / 4, TimeSpan.FromSeconds(2), stream: true, ct);

            var directLatency = new LatencyRecorder();
            var proxyLatency = new LatencyRecorder();
            for (var round = 0; round < 2; round++)
            {
                directLatency.Merge(await PacedAsync(http, direct, options.Rate, TimeSpan.FromSeconds(options.DurationSeconds / 2), stream: false, ct));
                proxyLatency.Merge(await PacedAsync(http, proxy, options.Rate, TimeSpan.FromSeconds(options.DurationSeconds / 2), stream: false, ct));
            }
            overheadP50 = proxyLatency.Percentile(50) - directLatency.Percentile(50);
            overheadP99 = proxyLatency.Percentile(99) - directLatency.Percentile(99);
            Report("non-streamed", directLatency, proxyLatency);
            results.Add(new Measurement("overhead_p50", "ms", overheadP50, string.Create(CultureInfo.InvariantCulture, $"p50 through the proxy minus direct, paced at {options.Rate:0}/s")));
            results.Add(new Measurement("overhead_p99", "ms", overheadP99, "p99 through the proxy minus direct, the same calls"));

            var directTtft = new LatencyRecorder();
            var proxyTtft = new LatencyRecorder();
            for (var round = 0; round < 2; round++)
            {
                directTtft.Merge(await PacedAsync(http, direct, options.Rate / 4, TimeSpan.FromSeconds(options.DurationSeconds / 2), stream: true, ct));
                proxyTtft.Merge(await PacedAsync(http, proxy, options.Rate / 4, TimeSpan.FromSeconds(options.DurationSeconds / 2), stream: true, ct));
            }
            ttftAdded = proxyTtft.Percentile(50) - directTtft.Percentile(50);
            Report("time to first token", directTtft, proxyTtft);
            results.Add(new Measurement("ttft_added", "ms", ttftAdded, string.Create(CultureInfo.InvariantCulture, $"first content chunk, p50 through the proxy minus direct, paced at {options.Rate / 4:0}/s")));
            results.Add(new Measurement("ttft_added_p99", "ms", proxyTtft.Percentile(99) - directTtft.Percentile(99), "the same, p99"));

            streamsHeld = await HoldStreamsAsync(http, proxy, options.Streams, ct);
            results.Add(new Measurement("streams", "streams", streamsHeld, $"of {options.Streams} opened at once, each {BenchUpstream.HoldSeconds} s long, complete with all open together"));
            }
            catch (InvalidOperationException)
            {
                var output = host.Output;
                await Console.Error.WriteLineAsync("# the Host's last output:\n" + output[Math.Max(0, output.Length - 4000)..]);
                throw;
            }
        }
        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));

        await ResultFile.PublishAsync("proxy", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"proxy: overhead_p50_ms={overheadP50:0.00} overhead_p99_ms={overheadP99:0.00} streams={streamsHeld} ttft_added_ms={ttftAdded:0.00}"), ct);
        return 0;
    }

    private sealed record Target(string Name, Uri Url, string Model, string Key);

    /// <summary>The workspace's openai key (any value: the bench upstream does not check it).</summary>
    private static async Task StoreKeyAsync(HttpClient http, HostLauncher host, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(host.DataPlaneApi, "/v1/provider-secrets/openai"))
        {
            Content = JsonContent.Create(new { value = "sk-bench-0123456789abcdef" }),
        };
        request.Headers.Authorization = new("Bearer", host.ApiKey);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Storing the openai key answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static HttpRequestMessage Request(Target target, bool stream) => new(HttpMethod.Post, target.Url)
    {
        Content = new StringContent(new JsonObject
        {
            ["model"] = target.Model,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What is the capital of France?" }),
        }.ToJsonString(), Encoding.UTF8, "application/json"),
        Headers = { Authorization = new("Bearer", target.Key) },
    };

    /// <summary>One call: until the whole answer (non-streamed) or the first content chunk (streamed; the rest is read and checked too).</summary>
    private static async Task<TimeSpan> CallAsync(HttpClient http, Target target, bool stream, Stopwatch clock, TimeSpan due, CancellationToken ct)
    {
        using var request = Request(target, stream);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"{target.Name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        if (!stream)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var latency = clock.Elapsed - due;
            if (!body.Contains("Paris", StringComparison.Ordinal)) throw new InvalidOperationException($"{target.Name} answered without the content: {body}");
            return latency;
        }
        TimeSpan? firstToken = null;
        var done = false;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (firstToken is null && line.Contains("\"content\":\"The", StringComparison.Ordinal)) firstToken = clock.Elapsed - due;
            if (line == "data: [DONE]") done = true;
        }
        if (firstToken is null || !done) throw new InvalidOperationException($"{target.Name}'s stream ended without its first token or [DONE].");
        return firstToken.Value;
    }

    /// <summary>Open loop (<see cref="OpenLoop"/>): each call's latency from when it was due.</summary>
    private static Task<LatencyRecorder> PacedAsync(HttpClient http, Target target, double rate, TimeSpan duration, bool stream, CancellationToken ct) =>
        OpenLoop.RunAsync(rate, duration, (clock, due) => CallAsync(http, target, stream, clock, due, ct), ct);

    /// <summary>
    /// N long streams at once through the proxy. A stream counts when it delivered every tick and [DONE], and all N had
    /// their first chunk before the first one ended (so they were truly open together).
    /// </summary>
    private static async Task<int> HoldStreamsAsync(HttpClient http, Target proxy, int streams, CancellationToken ct)
    {
        var hold = proxy with { Model = "openai/hold" };
        var clock = Stopwatch.StartNew();
        var firstChunks = new TimeSpan[streams];
        var ends = new TimeSpan[streams];
        var complete = new bool[streams];
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
        {
            try
            {
                using var request = Request(hold, stream: true);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode != HttpStatusCode.OK) return;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                var ticks = 0;
                var done = false;
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Contains("tick", StringComparison.Ordinal) && ticks++ == 0) firstChunks[i] = clock.Elapsed;
                    if (line == "data: [DONE]") done = true;
                }
                ends[i] = clock.Elapsed;
                complete[i] = done && ticks == BenchUpstream.HoldSeconds;
            }
            catch (HttpRequestException e)
            {
                Console.WriteLine($"# stream {i} failed: {e.Message}");
            }
        }));
        var firstEnd = ends.Where(e => e > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Min();
        var lastFirstChunk = firstChunks.Max();
        var held = complete.Count(c => c);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {held} of {streams} streams complete; last first chunk at {lastFirstChunk.TotalSeconds:0.00} s, first end at {firstEnd.TotalSeconds:0.00} s"));
        return lastFirstChunk < firstEnd ? held : 0;
    }

    private static void Report(string what, LatencyRecorder direct, LatencyRecorder proxy) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {what}: direct p50 {direct.Percentile(50):0.00} p99 {direct.Percentile(99):0.00} ms; proxy p50 {proxy.Percentile(50):0.00} p99 {proxy.Percentile(99):0.00} ms ({proxy.Count} calls)"));

    private sealed record Options(double Rate, double DurationSeconds, int Streams, bool Limits)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(200, 20, 1000, Limits: true);
            for (var i = 0; i < args.Length; i++)
            {
                options = args[i] switch
                {
                    "--rate" => options with { Rate = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--duration" => options with { DurationSeconds = double.Parse(args[++i].TrimEnd('s'), CultureInfo.InvariantCulture) },
                    "--streams" => options with { Streams = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--no-limits" => options with { Limits = false },
                    var other => throw new BenchEnvironmentException(
                        $"bench proxy: unknown argument '{other}'. Usage: bench proxy [--rate R] [--duration S] [--streams N] [--no-limits]"),
                };
            }
            return options;
        }
    }
}
