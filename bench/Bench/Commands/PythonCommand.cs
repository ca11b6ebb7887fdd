using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench python [--concurrency N] [--duration S] [--rate R]`: PYTHON metrics through <c>POST /v1/metrics/run</c> on a
/// single-node Host (its in-process worker pool, default settings), with the bootstrap key; nothing is created.
/// evals_per_s: a simple string metric, closed loop with N in flight. warm_p50/p99_ms: the same metric paced at R/s
/// (default half the closed-loop rate), latency from when each request was due. cold_ms: a freshly started pool
/// (the Host's settings: numpy and pandas preloaded) from construction to its first run's answer, in this process,
/// median of three: the worker process start, Python and preload included. pandas_evals_per_s: a metric that builds a
/// pandas Series per call, closed loop. Goals (reported, not asserted): evals_per_s &gt;= 2000, warm_p99_ms &lt;= 10,
/// cold_ms &lt;= 1000.
/// </summary>
public static class PythonCommand
{
    private const string Route = "/v1/metrics/run";

    private const string SimpleMetric = "def metric(event):\n    return event['outputs']['content'].strip().lower()\n";

    private const string PandasMetric =
        "import pandas as pd\n\ndef metric(event):\n    words = pd.Series(event['outputs']['content'].split())\n    return float(words.str.len().mean())\n";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var options = Options.Parse(args);
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable,
            "HH_TEST_PG", "HH_TEST_REDIS", "HH_PYTHON_LIB", "HH_RESTRICTEDPYTHON");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");

        var python = new Dictionary<string, string>
        {
            ["PythonMetric__PythonLibrary"] = BenchEnvironment.Require("HH_PYTHON_LIB"),
            ["PythonMetric__RestrictedPythonPath"] = BenchEnvironment.Require("HH_RESTRICTEDPYTHON"),
        };
        var results = new List<Measurement>();
        double evals, p50, p99, pandas;
        await using (var host = await HostLauncher.StartAsync(python, ct))
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency };
            using var http = new HttpClient(handler) { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            var simple = Body(SimpleMetric, "string", "  Paris  ");
            var pandasBody = Body(PandasMetric, "float", "the quick brown fox jumps over the lazy dog");

            var first = Stopwatch.StartNew();
            var answer = await RunOnceAsync(http, simple, ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# first run through the route (workers started on demand): {first.Elapsed.TotalMilliseconds:0} ms, answer {answer}"));

            await ClosedLoopAsync(http, simple, options.Concurrency, TimeSpan.FromSeconds(3), ct);
            evals = await ClosedLoopAsync(http, simple, options.Concurrency, TimeSpan.FromSeconds(options.DurationSeconds), ct);
            results.Add(new Measurement("simple.evals_per_s", "evals/s", evals, $"POST {Route}, string metric, closed loop, {options.Concurrency} in flight"));

            var rate = options.Rate ?? Math.Max(1, Math.Floor(evals / 2));
            var latencies = await PacedAsync(http, simple, rate, TimeSpan.FromSeconds(options.DurationSeconds), ct);
            (p50, p99) = (latencies.Percentile(50), latencies.Percentile(99));
            results.Add(new Measurement("simple.warm_p50", "ms", p50, string.Create(CultureInfo.InvariantCulture, $"paced at {rate:0}/s for {options.DurationSeconds} s, from due time")));
            results.Add(new Measurement("simple.warm_p99", "ms", p99, "the same"));

            try
            {
                Console.WriteLine($"# pandas metric answers {await RunOnceAsync(http, pandasBody, ct)}");
                await ClosedLoopAsync(http, pandasBody, options.Concurrency, TimeSpan.FromSeconds(2), ct);
                pandas = await ClosedLoopAsync(http, pandasBody, options.Concurrency, TimeSpan.FromSeconds(options.DurationSeconds), ct);
            }
            catch (InvalidOperationException e)
            {
                await Console.Error.WriteLineAsync($"bench python: the pandas metric failed, so pandas_evals_per_s is NaN: {e.Message}");
                pandas = double.NaN;
            }
            results.Add(new Measurement("pandas.evals_per_s", "evals/s", pandas, $"POST {Route}, pandas Series per call, closed loop, {options.Concurrency} in flight"));
        }

        var cold = await ColdStartAsync(ct);
        results.Add(new Measurement("cold", "ms", cold, "a new PythonWorkerPool (numpy, pandas preloaded) to its first run's answer, median of 3"));
        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));

        await ResultFile.PublishAsync("python", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"python: evals_per_s={evals:0} warm_p50_ms={p50:0.00} warm_p99_ms={p99:0.00} cold_ms={cold:0} pandas_evals_per_s={pandas:0}"), ct);
        return 0;
    }

    private static byte[] Body(string criteria, string returnType, string content) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["metric"] = new JsonObject { ["name"] = "metric", ["type"] = "PYTHON", ["criteria"] = criteria, ["return_type"] = returnType },
        ["event"] = new JsonObject { ["inputs"] = new JsonObject { ["question"] = "capital of France?" }, ["outputs"] = new JsonObject { ["content"] = content } },
    }.ToJsonString());

    private static async Task<string> RunOnceAsync(HttpClient http, byte[] body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await http.PostAsync(new Uri(Route, UriKind.Relative), content, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"POST {Route} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["result"]?.ToJsonString() ?? "null";
    }

    /// <summary>Answers per second: answered calls over the time until the last one answered (not the nominal duration).</summary>
    private static async Task<double> ClosedLoopAsync(HttpClient http, byte[] body, int concurrency, TimeSpan duration, CancellationToken ct)
    {
        long calls = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                await RunOnceAsync(http, body, ct);
                Interlocked.Increment(ref calls);
            }
        }));
        return calls / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Open loop (<see cref="OpenLoop"/>): each run's latency from when it was due.</summary>
    private static async Task<LatencyRecorder> PacedAsync(HttpClient http, byte[] body, double rate, TimeSpan duration, CancellationToken ct)
    {
        var latencies = await OpenLoop.RunAsync(rate, duration, async (clock, due) =>
        {
            await RunOnceAsync(http, body, ct);
            return clock.Elapsed - due;
        }, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# paced {latencies.Count} runs at {rate:0}/s: p50 {latencies.Percentile(50):0.00} ms, p99 {latencies.Percentile(99):0.00} ms, max {latencies.Max():0.0} ms"));
        return latencies;
    }

    /// <summary>Median of three fresh pools' first runs, each pool with the Host's default options (preload included).</summary>
    private static async Task<double> ColdStartAsync(CancellationToken ct)
    {
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            await using var pool = new PythonWorkerPool(Microsoft.Extensions.Options.Options.Create(new PythonMetricOptions
            {
                PythonLibrary = BenchEnvironment.Require("HH_PYTHON_LIB"),
                RestrictedPythonPath = BenchEnvironment.Require("HH_RESTRICTEDPYTHON"),
            }), NullLogger<PythonWorkerPool>.Instance);
            var result = await pool.RunAsync(new PythonMetricRunRequest("bench", "cold-" + i.ToString(CultureInfo.InvariantCulture), "metric", SimpleMetric, "string", null,
                new JsonObject { ["outputs"] = new JsonObject { ["content"] = " Paris " } }, 5000), ct);
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (!result.Success) throw new InvalidOperationException($"The cold run failed: {result.ErrorCode} {result.Message}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# cold starts: {string.Join(", ", times.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))} ms"));
        return times.Order().ElementAt(1);
    }

    private sealed record Options(int Concurrency, double DurationSeconds, double? Rate)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(16, 10, null);
            for (var i = 0; i < args.Length; i++)
            {
                options = args[i] switch
                {
                    "--concurrency" => options with { Concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--duration" => options with { DurationSeconds = double.Parse(args[++i].TrimEnd('s'), CultureInfo.InvariantCulture) },
                    "--rate" => options with { Rate = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                    var other => throw new BenchEnvironmentException(
                        $"bench python: unknown argument '{other}'. Usage: bench python [--concurrency N] [--duration S] [--rate R]"),
                };
            }
            return options;
        }
    }
}
