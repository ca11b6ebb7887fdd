using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace HoneyHive.Bench.Evaluation;

/// <summary>What an experiment of `bench eval` runs: a dataset, a prompt configuration on model <c>slow</c>, three metrics.</summary>
public sealed record Experiment(string DatasetId, string ConfigurationId, IReadOnlyList<string> Metrics, int Datapoints);

/// <summary>How one experiment went, as read back from the API.</summary>
/// <param name="Elapsed">From the start request until the experiment reported completed.</param>
/// <param name="Resume">From the kill until progress moved again; null when the Host was not killed.</param>
/// <param name="Lost">Datapoints whose output lacks one of the metrics' scores.</param>
/// <param name="Duplicated">Outputs stored beyond one per datapoint.</param>
public sealed record ExperimentOutcome(TimeSpan Elapsed, TimeSpan? Resume, long Lost, long Duplicated);

/// <summary>Creates the experiment's inputs and runs it through <c>POST /v1/experiments</c>, watching its progress.</summary>
public static class ExperimentSetup
{
    public static async Task<Experiment> CreateAsync(HttpClient http, int datapoints, CancellationToken ct)
    {
        var dataset = await Api.SendAsync(http, HttpMethod.Post, "/v1/datasets", new JsonObject { ["name"] = "bench-eval-" + Guid.NewGuid().ToString("N")[..8] }, ct);
        var datasetId = dataset!["result"]?["insertedId"]?.GetValue<string>() ?? dataset["dataset_id"]?.GetValue<string>() ?? dataset["id"]!.GetValue<string>();
        for (var start = 0; start < datapoints; start += 500)
        {
            var rows = new JsonArray();
            for (var i = start; i < Math.Min(datapoints, start + 500); i++)
                rows.Add(new JsonObject { ["question"] = $"What is the capital of country number {i}?", ["answer"] = "Paris" });
            await Api.SendAsync(http, HttpMethod.Post, $"/v1/datasets/{datasetId}/datapoints", new JsonObject { ["data"] = rows, ["mapping"] = Mapping() }, ct);
        }

        var configuration = await Api.SendAsync(http, HttpMethod.Post, "/v1/configurations", new JsonObject
        {
            ["name"] = "bench-prompt-" + Guid.NewGuid().ToString("N")[..8],
            ["provider"] = "openai",
            ["parameters"] = new JsonObject
            {
                ["call_type"] = "chat",
                ["model"] = "slow",
                ["template"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Answer briefly: {{question}}" }),
            },
        }, ct);
        var configurationId = configuration!["id"]?.GetValue<string>() ?? configuration["insertedId"]!.GetValue<string>();

        await Api.SendAsync(http, HttpMethod.Post, "/v1/metrics", Python("bench_words", "float",
            "def bench_words(event):\n    return float(len(str(event['outputs'].get('content', '')).split()))\n"), ct);
        await Api.SendAsync(http, HttpMethod.Post, "/v1/metrics", Python("bench_has_paris", "boolean",
            "def bench_has_paris(event):\n    return 'paris' in str(event['outputs'].get('content', '')).lower()\n"), ct);
        await Api.SendAsync(http, HttpMethod.Post, "/v1/metrics", new JsonObject
        {
            ["name"] = "bench_judge",
            ["type"] = "LLM",
            ["criteria"] = "Rate from 1 to 5 how well the answer {{outputs.content}} answers {{inputs.question}}.",
            ["return_type"] = "float",
            ["scale"] = 5,
            ["model_provider"] = "openai",
            ["model_name"] = "slow",
            ["enabled_in_prod"] = false,
        }, ct);
        return new Experiment(datasetId, configurationId, ["bench_words", "bench_has_paris", "bench_judge"], datapoints);
    }

    private static JsonObject Mapping() => new()
    {
        ["inputs"] = new JsonArray("question"),
        ["ground_truth"] = new JsonArray("answer"),
        ["history"] = new JsonArray(),
    };

    private static JsonObject Python(string name, string returnType, string code) => new()
    {
        ["name"] = name,
        ["type"] = "PYTHON",
        ["criteria"] = code,
        ["return_type"] = returnType,
        ["enabled_in_prod"] = false,
    };

    /// <summary>
    /// Starts the experiment and polls its progress until it completes; with <paramref name="killHost"/>, kills the Host
    /// once a third of the datapoints are done and times how long until progress moves again.
    /// </summary>
    public static async Task<ExperimentOutcome> RunAsync(
        HttpClient http, Experiment experiment, string name, int concurrency, Func<Task>? killHost, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var started = await Api.SendAsync(http, HttpMethod.Post, "/v1/experiments", new JsonObject
        {
            ["name"] = name,
            ["dataset_id"] = experiment.DatasetId,
            ["configuration_id"] = experiment.ConfigurationId,
            ["metrics"] = new JsonArray([.. experiment.Metrics.Select(m => (JsonNode)m)]),
            ["concurrency"] = concurrency,
        }, ct);
        var experimentId = started!["experiment_id"]!.GetValue<string>();
        var runId = started["run_id"]!.GetValue<string>();

        TimeSpan? killedAt = null, resume = null;
        long doneAtKill = 0;
        while (true)
        {
            JsonNode progress;
            try
            {
                progress = (await Api.GetAsync(http, $"/v1/experiments/{experimentId}", ct))!;
            }
            catch (HttpRequestException) when (killedAt is not null)
            {
                await Task.Delay(100, ct);
                continue;
            }
            var status = progress["status"]?.GetValue<string>() ?? "";
            var done = progress["done"]?.GetValue<long>() ?? 0;
            if (killedAt is not null && resume is null && (done > doneAtKill || status == "completed")) resume = clock.Elapsed - killedAt;
            if (status is "completed" or "failed" or "cancelled" or "terminated")
            {
                if (status != "completed") throw new InvalidOperationException($"Experiment {name} ended {status}: {progress.ToJsonString()}");
                break;
            }
            if (killHost is not null && killedAt is null && done >= experiment.Datapoints / 3)
            {
                doneAtKill = done;
                killedAt = clock.Elapsed;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {name}: SIGKILL at {done} of {experiment.Datapoints} done, {killedAt.Value.TotalSeconds:0.0} s in"));
                await killHost();
                continue;
            }
            await Task.Delay(250, ct);
        }
        var elapsed = clock.Elapsed;

        // Outputs and scores reach the store through the message log and the Writer after the workflow records them: the
        // counts are read until they are complete or stop moving for 30 s, so "lost" is what never arrives.
        var (outputs, lost) = await SettledCountsAsync(http, experiment, runId, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {name}: {experiment.Datapoints} datapoints in {elapsed.TotalSeconds:0.0} s; {outputs} outputs stored; resume {resume?.TotalSeconds:0.0} s"));
        return new ExperimentOutcome(elapsed, resume, lost, Math.Max(0, outputs - experiment.Datapoints));
    }

    private static async Task<(long Outputs, long Lost)> SettledCountsAsync(HttpClient http, Experiment experiment, string runId, CancellationToken ct)
    {
        var quiet = Stopwatch.StartNew();
        (long Outputs, long Lost) last = (-1, -1);
        while (true)
        {
            var run = Filter("metadata.run_id", "is", runId);
            var outputs = await Api.CountAsync(http, [run, Filter("event_type", "is", "session")], ct);
            long lost = 0;
            foreach (var metric in experiment.Metrics)
            {
                var scored = await Api.CountAsync(http, [Filter("metadata.run_id", "is", runId), Filter("event_type", "is", "session"), Filter("metrics." + metric, "exists", null)], ct);
                lost = Math.Max(lost, experiment.Datapoints - scored);
            }
            if (lost == 0 && outputs >= experiment.Datapoints) return (outputs, 0);
            if ((outputs, lost) != last)
            {
                last = (outputs, lost);
                quiet.Restart();
            }
            else if (quiet.Elapsed > TimeSpan.FromSeconds(30)) return last;
            await Task.Delay(500, ct);
        }
    }

    private static JsonObject Filter(string field, string op, string? value) =>
        new() { ["field"] = field, ["operator"] = op, ["value"] = value, ["type"] = field.StartsWith("metrics.", StringComparison.Ordinal) ? "number" : "string" };
}
