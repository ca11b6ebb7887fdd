using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.Bench.Evaluation;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Proxy;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench eval [--events N] [--datapoints D] [--concurrency C] [--no-resume]`: the evaluation engine of a single-node
/// Host, with <see cref="BenchUpstream"/> as the model provider (model <c>slow</c>: 200 ms per call).
/// online_evals_per_s: a PYTHON metric deployed with enabled_in_prod at 100 %, N events sent through
/// <c>POST /v1/events/batch</c>; events scored per second from the first send until the last score is readable through
/// the search API. run_1000x3_s: an experiment (<c>POST /v1/experiments</c>) running a prompt over D datapoints through
/// the proxy, then three evaluators on every output (two PYTHON metrics, one LLM judge through the proxy), with C
/// in flight; wall time from the start request until the experiment reports completed, and its ratio to the ideal
/// D × 2 model calls × 200 ms / C. resume_s: the same experiment again, the Host killed with SIGKILL when a third is
/// done; time from the kill until the experiment's progress moves again (the Host's restart included). lost / dup:
/// over both experiments, datapoints whose output lacks one of the three scores, and outputs stored more than once.
/// Goals (reported, not asserted): run ≤ 2 × ideal, lost = dup = 0.
/// </summary>
public static class EvalCommand
{
    private const string OnlineMetric = "bench_online_length";
    private static readonly string[] RunMetrics = ["bench_words", "bench_has_paris", "bench_judge"];

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var options = Options.Parse(args);
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable,
            "HH_TEST_PG", "HH_TEST_REDIS", "HH_PYTHON_LIB", "HH_RESTRICTEDPYTHON");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");

        await using var upstream = await BenchUpstream.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["PythonMetric__PythonLibrary"] = BenchEnvironment.Require("HH_PYTHON_LIB"),
            ["PythonMetric__RestrictedPythonPath"] = BenchEnvironment.Require("HH_RESTRICTEDPYTHON"),
            ["LlmProxy__ProviderBaseUrls__openai"] = upstream.BaseUrl,
            // The upstream is on loopback: allowed on purpose, as an operator allows a local Ollama.
            ["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1",
            // The proxy's per-project limits far above the bench's load: the engine's own cap is what is measured.
            ["LlmProxy__Limits__RequestsPerMinute"] = "10000000",
            ["LlmProxy__Limits__MaxConcurrent"] = "10000",
        };
        var results = new List<Measurement>();
        double onlineRate, runSeconds, ideal, resumeSeconds = double.NaN;
        long lost = 0, dup = 0;
        await using (var host = await HostLauncher.StartAsync(settings, ct))
        {
            using var http = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            try
            {
                await Api.SendAsync(http, HttpMethod.Put, "/v1/provider-secrets/openai", new JsonObject { ["value"] = "sk-bench-0123456789abcdef" }, ct);

                onlineRate = await OnlineAsync(http, options.Events, ct);
                results.Add(new Measurement("online_evals_per_s", "evals/s", onlineRate,
                    $"{options.Events} events, a PYTHON metric at 100 %, first send to the last score readable"));

                var experiment = await ExperimentSetup.CreateAsync(http, options.Datapoints, ct);
                var run = await ExperimentSetup.RunAsync(http, experiment, "bench-run", options.Concurrency, killHost: null, ct);
                runSeconds = run.Elapsed.TotalSeconds;
                ideal = options.Datapoints * 2 * BenchUpstream.SlowLatency.TotalSeconds / options.Concurrency;
                results.Add(new Measurement("run_1000x3", "s", runSeconds,
                    string.Create(CultureInfo.InvariantCulture, $"{options.Datapoints} datapoints × 3 evaluators, {options.Concurrency} in flight; ideal {ideal:0.0} s")));
                results.Add(new Measurement("run_over_ideal", "ratio", runSeconds / ideal, "goal ≤ 2"));
                lost += run.Lost;
                dup += run.Duplicated;

                if (options.Resume)
                {
                    var resumed = await ExperimentSetup.RunAsync(http, experiment, "bench-resume", options.Concurrency,
                        killHost: () => host.KillAndRestartAsync(ct), ct);
                    resumeSeconds = resumed.Resume!.Value.TotalSeconds;
                    results.Add(new Measurement("resume", "s", resumeSeconds, "SIGKILL at a third done, until progress moves again (restart included)"));
                    lost += resumed.Lost;
                    dup += resumed.Duplicated;
                }
                results.Add(new Measurement("lost", "datapoints", lost, "outputs missing one of their three scores, over the runs"));
                results.Add(new Measurement("dup", "events", dup, "outputs stored more than once, over the runs"));
            }
            catch (InvalidOperationException)
            {
                var output = host.Output;
                await Console.Error.WriteLineAsync("# the Host's last output:\n" + output[Math.Max(0, output.Length - 4000)..]);
                throw;
            }
        }
        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));

        await ResultFile.PublishAsync("eval", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"eval: online_evals_per_s={onlineRate:0.0} run_1000x3_s={runSeconds:0.0} resume_s={resumeSeconds:0.0} lost={lost} dup={dup} (ideal_s={ideal:0.0})"), ct);
        return 0;
    }

    /// <summary>
    /// Online evaluation: the metric is deployed, a probe event waits until the engine scores it (its metric cache
    /// is warm), then N events go out in batches; the rate is N over the time from the first send to the last score.
    /// </summary>
    private static async Task<double> OnlineAsync(HttpClient http, int events, CancellationToken ct)
    {
        await Api.SendAsync(http, HttpMethod.Post, "/v1/metrics", new JsonObject
        {
            ["name"] = OnlineMetric,
            ["type"] = "PYTHON",
            ["criteria"] = $"def {OnlineMetric}(event):\n    return float(len(event['outputs'].get('content', '')))\n",
            ["return_type"] = "float",
            ["enabled_in_prod"] = true,
            ["sampling_percentage"] = 100,
            // Only the bench's online events: the experiments' outputs later are not scored by it.
            ["filters"] = new JsonObject
            {
                ["filterArray"] = new JsonArray(new JsonObject { ["field"] = "event_name", ["operator"] = "is", ["value"] = "bench-online", ["type"] = "string" }),
            },
        }, ct);

        // The engine caches each project's metrics for a while (Evaluation:Online:MetricCacheTtl): a probe is sent
        // every few seconds until one is scored, so the timed events all meet a cache that knows the metric.
        var probe = "probe-" + Guid.NewGuid().ToString("N")[..8];
        var warm = Stopwatch.StartNew();
        while (await ScoredAsync(http, probe, OnlineMetric, 1, TimeSpan.FromSeconds(5), ct) == 0)
        {
            if (warm.Elapsed > TimeSpan.FromMinutes(2)) throw new InvalidOperationException("No probe event was scored online within 2 minutes.");
            await SendEventsAsync(http, probe, 1, ct);
        }

        var run = "online-" + Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        await SendEventsAsync(http, run, events, ct);
        var sent = clock.Elapsed;
        var scored = await ScoredAsync(http, run, OnlineMetric, events, TimeSpan.FromMinutes(10), ct);
        var elapsed = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# online: {events} events sent in {sent.TotalSeconds:0.0} s, {scored} scored after {elapsed.TotalSeconds:0.0} s"));
        if (scored < events) throw new InvalidOperationException($"Only {scored} of {events} online events were scored within 10 minutes.");
        return events / elapsed.TotalSeconds;
    }

    private static async Task SendEventsAsync(HttpClient http, string run, int count, CancellationToken ct)
    {
        const int batch = 200;
        for (var start = 0; start < count; start += batch)
        {
            var events = new JsonArray();
            for (var i = start; i < Math.Min(count, start + batch); i++)
            {
                events.Add(new JsonObject
                {
                    ["event_type"] = "tool",
                    ["event_name"] = "bench-online",
                    ["inputs"] = new JsonObject { ["query"] = $"question {i}" },
                    ["outputs"] = new JsonObject { ["content"] = new string('x', 10 + i % 90) },
                    ["metadata"] = new JsonObject { ["bench_run_id"] = run },
                });
            }
            await Api.SendAsync(http, HttpMethod.Post, "/v1/events/batch", new JsonObject { ["events"] = events }, ct);
        }
    }

    /// <summary>Polls the search count of the run's events that carry the metric until it reaches <paramref name="expected"/> or the limit passes.</summary>
    private static async Task<long> ScoredAsync(HttpClient http, string run, string metric, long expected, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long count = 0;
        while (clock.Elapsed < limit)
        {
            count = await Api.CountAsync(http,
            [
                new JsonObject { ["field"] = "metadata.bench_run_id", ["operator"] = "is", ["value"] = run, ["type"] = "string" },
                new JsonObject { ["field"] = "metrics." + metric, ["operator"] = "exists", ["value"] = null, ["type"] = "number" },
            ], ct);
            if (count >= expected) break;
            await Task.Delay(250, ct);
        }
        return count;
    }

    private sealed record Options(int Events, int Datapoints, int Concurrency, bool Resume)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(2000, 1000, 20, true);
            for (var i = 0; i < args.Length; i++)
            {
                options = args[i] switch
                {
                    "--events" => options with { Events = Positive(args, ++i) },
                    "--datapoints" => options with { Datapoints = Positive(args, ++i) },
                    "--concurrency" => options with { Concurrency = Positive(args, ++i) },
                    "--no-resume" => options with { Resume = false },
                    _ => throw new ArgumentException($"unknown option {args[i]}; use --events N, --datapoints D, --concurrency C, --no-resume"),
                };
            }
            return options;
        }

        private static int Positive(string[] args, int i) =>
            i < args.Length && int.TryParse(args[i], CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new ArgumentException($"{args[i - 1]} takes a positive integer");
    }
}
