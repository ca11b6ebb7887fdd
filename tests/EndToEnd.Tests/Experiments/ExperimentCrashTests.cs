using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.EndToEnd.Tests.Experiments;

/// <summary>A Host of its own for the crash: the kill must not take other tests' experiments with it.</summary>
public sealed class CrashingExperimentHost : ExperimentHost;

/// <summary>
/// kill -9 of the Host in the middle of an experiment: after a restart on the same databases and message log, the
/// workflow resumes from its history and the run completes with every score once and one model event per datapoint.
/// </summary>
public sealed class ExperimentCrashTests(CrashingExperimentHost host) : IClassFixture<CrashingExperimentHost>
{
    private const int Datapoints = 40;
    private static readonly string[] Metrics = ["crash_exact", "crash_length", "crash_judge"];

    [Fact]
    public async Task A_host_killed_mid_experiment_completes_after_restart_with_every_score_once_and_one_model_event_per_datapoint()
    {
        var api = host.Api();
        var dataset = await host.DatasetAsync(api, "crash", Datapoints);
        var configuration = await ExperimentHost.ConfigurationAsync(api, "crash-config");
        await ExperimentHost.PythonMetricAsync(api, "crash_exact", "    return 1.0 if event[\"outputs\"][\"content\"] == event[\"ground_truth\"][\"a\"] else 0.0");
        await ExperimentHost.PythonMetricAsync(api, "crash_length", "    return float(len(event[\"outputs\"][\"content\"]))");
        await ExperimentHost.JudgeMetricAsync(api, "crash_judge");
        // Re-executed activities call again, so the judge has answers to spare.
        host.ScriptJudge(Datapoints * 3);
        // The first 12 generations answer at once; the rest hang until the Host is dead, so the kill lands mid-run.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        host.Upstream.Script(ExperimentHost.GenerationModel, [.. Enumerable.Repeat<Func<HttpContext, JsonObject, Task>>(async (context, body) =>
        {
            if (Interlocked.Increment(ref calls) > 12) await gate.Task;
            await context.Response.WriteAsJsonAsync(FakeOpenAiUpstream.Completion(ExperimentHost.GenerationModel, "echo: " + body["messages"]![0]!["content"]));
        }, Datapoints)]);

        var run = await ExperimentHost.StartAsync(api, new { name = "crash", dataset_id = dataset, configuration_id = configuration, metrics = Metrics, concurrency = 4 });
        var before = await Eventually.ValueAsync(() => ExperimentHost.ProgressAsync(api, run), p => p["done"]?.GetValue<int>() >= 8, "8 datapoints done before the kill");
        Assert.True(before["done"]!.GetValue<int>() < Datapoints, "the kill lands before the end");

        await host.KillAsync();
        gate.SetResult();
        api.Dispose();
        await host.StartAsync();
        api = host.Api();

        var done = await host.UntilAsync(api, run, "completed", TimeSpan.FromMinutes(5));
        Assert.Equal(Datapoints, done["done"]!.GetValue<int>());
        var runJson = await ExperimentHost.OkAsync(api, HttpMethod.Get, $"/v1/runs/{run}", null);
        Assert.True(done["failed"]!.GetValue<int>() == 0, runJson["evaluation"]!["metadata"]!.ToJsonString());

        var sessions = await Eventually.ValueAsync(
            () => ExperimentHost.EventsAsync(api, ExperimentHost.Is("metadata.run_id", run), ExperimentHost.Is("event_type", "session")),
            found => found.Count == Datapoints && found.Sum(s => Metrics.Count(m => s["metrics"]?[m] is not null)) == Datapoints * 3,
            $"{Datapoints * 3} scores on the run's {Datapoints} sessions", TimeSpan.FromMinutes(3));
        Assert.Equal(Datapoints, sessions.Select(s => s["metadata"]!["datapoint_id"]!.ToString()).Distinct().Count());
        Assert.All(sessions, s => Assert.Equal(1.0, s["metrics"]!["crash_exact"]!.GetValue<double>()));

        var sessionIds = sessions.Select(s => s["session_id"]!.ToString()).ToHashSet();
        var models = await Eventually.ValueAsync(
            async () => (await ExperimentHost.EventsAsync(api, ExperimentHost.Is("event_type", "model"))).Where(e => sessionIds.Contains(e["session_id"]!.ToString())).ToList(),
            found => found.Select(e => e["session_id"]!.ToString()).Distinct().Count() == Datapoints, "a model event in every session",
            // As long as the scores above: traces published just before the kill come back after the message log's redelivery wait.
            TimeSpan.FromMinutes(3));
        Assert.All(models.GroupBy(e => e["session_id"]!.ToString()), perSession => Assert.Single(perSession));
        api.Dispose();
    }
}
