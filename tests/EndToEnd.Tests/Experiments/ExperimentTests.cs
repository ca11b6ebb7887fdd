using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.EndToEnd.Tests.Experiments;

/// <summary>
/// Experiments as workflows in the real Host: the SDK's workflow worker on the embedded backend, the LLM proxy against
/// a fake OpenAI, PYTHON metrics in the Python pool, scores through the Writer, read back through the DP API.
/// </summary>
public sealed class ExperimentTests(ExperimentHost host) : IClassFixture<ExperimentHost>
{
    private const string ExactMatch = "    return 1.0 if event[\"outputs\"][\"content\"] == event[\"ground_truth\"][\"a\"] else 0.0";
    private const string Length = "    return float(len(event[\"outputs\"][\"content\"]))";

    [Fact]
    public async Task A_dataset_of_50_datapoints_with_3_evaluators_completes_with_150_scores_read_back()
    {
        using var api = host.Api();
        var dataset = await host.DatasetAsync(api, "fifty", 50);
        var configuration = await ExperimentHost.ConfigurationAsync(api, "fifty-config");
        var exact = await ExperimentHost.PythonMetricAsync(api, "fifty_exact", ExactMatch);
        await ExperimentHost.PythonMetricAsync(api, "fifty_length", Length);
        await ExperimentHost.JudgeMetricAsync(api, "fifty_judge");
        host.ScriptJudge(50);

        // Metrics by id or by name.
        var run = await ExperimentHost.StartAsync(api, new
        {
            name = "fifty", dataset_id = dataset, configuration_id = configuration, metrics = new[] { exact, "fifty_length", "fifty_judge" }, concurrency = 10,
        });
        var done = await host.UntilAsync(api, run, "completed");
        Assert.Equal(50, done["total"]!.GetValue<int>());
        Assert.Equal(50, done["done"]!.GetValue<int>());
        Assert.Equal(0, done["failed"]!.GetValue<int>());
        Assert.Equal(1.0, done["results"]!["fifty_exact"]!["aggregate"]!.GetValue<double>());
        Assert.Equal(4.0, done["results"]!["fifty_judge"]!["aggregate"]!.GetValue<double>());

        var sessions = await Eventually.ValueAsync(
            () => ExperimentHost.EventsAsync(api, ExperimentHost.Is("metadata.run_id", run), ExperimentHost.Is("event_type", "session")),
            found => found.Count == 50 && found.Sum(ScoreCount) == 150, "150 scores on the run's 50 sessions");
        Assert.Equal(50, sessions.Select(s => s["metadata"]!["datapoint_id"]!.ToString()).Distinct().Count());
        Assert.All(sessions, s =>
        {
            Assert.Equal(1.0, s["metrics"]!["fifty_exact"]!.GetValue<double>());
            Assert.Equal(s["outputs"]!["content"]!.ToString().Length, s["metrics"]!["fifty_length"]!.GetValue<double>());
            Assert.Equal(4.0, s["metrics"]!["fifty_judge"]!.GetValue<double>());
        });

        int ScoreCount(JsonObject session) => new[] { "fifty_exact", "fifty_length", "fifty_judge" }.Count(m => session["metrics"]?[m] is not null);
    }

    [Fact]
    public async Task One_failing_datapoint_is_recorded_as_failed_and_the_run_still_completes()
    {
        using var api = host.Api();
        var dataset = await host.DatasetAsync(api, "one-fails", 5);
        var configuration = await ExperimentHost.ConfigurationAsync(api, "one-fails-config");
        // The metric raises on one datapoint only.
        await ExperimentHost.PythonMetricAsync(api, "one_fails_picky",
            "    if event[\"inputs\"][\"q\"] == \"q-3\":\n        raise ValueError(\"q-3 is not scorable\")\n    return 1.0");

        var run = await ExperimentHost.StartAsync(api, new { name = "one-fails", dataset_id = dataset, configuration_id = configuration, metrics = new[] { "one_fails_picky" } });
        var done = await host.UntilAsync(api, run, "completed");

        var runJson = await ExperimentHost.OkAsync(api, HttpMethod.Get, $"/v1/runs/{run}", null);
        Assert.Equal(5, done["done"]!.GetValue<int>());
        Assert.True(done["failed"]!.GetValue<int>() == 1, runJson.ToJsonString());
        Assert.Contains("q-3 is not scorable", runJson["evaluation"]!["metadata"]!["errors"]!.ToJsonString(), StringComparison.Ordinal);
        var failed = runJson["evaluation"]!["metadata"]!["failed_targets"]!.AsArray().Select(t => t!.ToString()).ToList();
        var sessions = await Eventually.ValueAsync(
            () => ExperimentHost.EventsAsync(api, ExperimentHost.Is("metadata.run_id", run), ExperimentHost.Is("event_type", "session")),
            found => found.Count == 5 && found.Count(s => s["metrics"]?["one_fails_picky"] is not null) == 4, "4 scores on the run's 5 sessions");
        var unscored = Assert.Single(sessions, s => s["metrics"]?["one_fails_picky"] is null);
        Assert.Equal("q-3", unscored["inputs"]!["q"]!.ToString());
        Assert.Equal([unscored["metadata"]!["datapoint_id"]!.ToString()], failed);
    }

    [Fact]
    public async Task Cancel_suspends_an_experiment_and_resume_completes_it_with_every_score()
    {
        using var api = host.Api();
        var dataset = await host.DatasetAsync(api, "paused", 6);
        var configuration = await ExperimentHost.ConfigurationAsync(api, "paused-config");
        await ExperimentHost.PythonMetricAsync(api, "paused_length", Length);
        // The first generation waits for the test: the experiment is surely running when it is cancelled.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Upstream.Script(ExperimentHost.GenerationModel, async (context, body) =>
        {
            entered.TrySetResult();
            await gate.Task;
            await context.Response.WriteAsJsonAsync(FakeOpenAiUpstream.Completion(ExperimentHost.GenerationModel, "echo: " + body["messages"]![0]!["content"]));
        });

        var run = await ExperimentHost.StartAsync(api, new { name = "paused", dataset_id = dataset, configuration_id = configuration, metrics = new[] { "paused_length" }, concurrency = 1 });
        await entered.Task.WaitAsync(TimeSpan.FromMinutes(1));
        using (var cancel = await api.PostAsync(new Uri($"/v1/experiments/{run}/cancel", UriKind.Relative), null))
            Assert.True(cancel.StatusCode == HttpStatusCode.Accepted, await cancel.Content.ReadAsStringAsync());
        var paused = await ExperimentHost.ProgressAsync(api, run);
        Assert.Equal("cancelled", paused["status"]!.ToString());
        Assert.Equal("suspended", paused["workflow_status"]!.ToString());
        // Cancelling twice is a conflict: it is not running.
        using (var again = await api.PostAsync(new Uri($"/v1/experiments/{run}/cancel", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        gate.SetResult();
        using (var resume = await api.PostAsync(new Uri($"/v1/experiments/{run}/resume", UriKind.Relative), null))
            Assert.True(resume.StatusCode == HttpStatusCode.Accepted, await resume.Content.ReadAsStringAsync());
        var done = await host.UntilAsync(api, run, "completed");
        Assert.Equal(6, done["done"]!.GetValue<int>());
        await Eventually.ValueAsync(
            () => ExperimentHost.EventsAsync(api, ExperimentHost.Is("metadata.run_id", run), ExperimentHost.Is("event_type", "session")),
            found => found.Count(s => s["metrics"]?["paused_length"] is not null) == 6, "6 scores after the resume");
        using var late = await api.PostAsync(new Uri($"/v1/experiments/{run}/resume", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task Evaluating_a_run_scores_each_of_its_events_with_the_chosen_metric()
    {
        using var api = host.Api();
        var dataset = await host.DatasetAsync(api, "rescored", 3);
        var configuration = await ExperimentHost.ConfigurationAsync(api, "rescored-config");
        await ExperimentHost.PythonMetricAsync(api, "rescored_first", "    return 1.0");
        await ExperimentHost.PythonMetricAsync(api, "rescored_second", "    return 2.0");
        var run = await ExperimentHost.StartAsync(api, new { name = "rescored", dataset_id = dataset, configuration_id = configuration, metrics = new[] { "rescored_first" } });
        await host.UntilAsync(api, run, "completed");
        // The run's sessions are stored before it is scored again (the evaluation reads them from the store).
        await Eventually.ValueAsync(
            () => ExperimentHost.EventsAsync(api, ExperimentHost.Is("metadata.run_id", run), ExperimentHost.Is("event_type", "session")),
            found => found.Count == 3, "the run's 3 sessions");

        var started = await ExperimentHost.OkAsync(api, HttpMethod.Post, $"/v1/runs/{run}/evaluate", new { metrics = new[] { "rescored_second" }, concurrency = 2 });
        Assert.Equal(run, started["run_id"]!.ToString());
        var done = await host.UntilAsync(api, run, "completed");
        Assert.Equal("evaluate", done["kind"]!.ToString());
        var total = done["total"]!.GetValue<int>();
        Assert.True(total >= 3, $"the run's events: {total}");
        await Eventually.ValueAsync(
            () => ExperimentHost.EventsAsync(api, ExperimentHost.Is("metadata.run_id", run), ExperimentHost.Is("event_type", "session")),
            found => found.Count(s => s["metrics"]?["rescored_second"] is not null && s["metrics"]?["rescored_first"] is not null) == 3,
            "both metrics on the 3 sessions");
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field_and_unknown_ids_are_404()
    {
        using var api = host.Api();
        var dataset = await host.DatasetAsync(api, "refusals", 1);
        var configuration = await ExperimentHost.ConfigurationAsync(api, "refusals-config");
        await ExperimentHost.PythonMetricAsync(api, "refusals_metric", "    return 1.0");
        var unknown = Guid.NewGuid().ToString();
        var cases = new (object Body, HttpStatusCode Status, string Field)[]
        {
            (new { dataset_id = dataset, configuration_id = configuration, metrics = new[] { "refusals_metric" } }, HttpStatusCode.BadRequest, "name"),
            (new { name = "x", dataset_id = "nope", configuration_id = configuration, metrics = new[] { "refusals_metric" } }, HttpStatusCode.BadRequest, "dataset_id"),
            (new { name = "x", dataset_id = dataset, configuration_id = configuration, metrics = Array.Empty<string>() }, HttpStatusCode.BadRequest, "metrics"),
            (new { name = "x", dataset_id = dataset, configuration_id = configuration, metrics = new[] { "refusals_metric" }, concurrency = 0 }, HttpStatusCode.BadRequest, "concurrency"),
            (new { name = "x", dataset_id = unknown, configuration_id = configuration, metrics = new[] { "refusals_metric" } }, HttpStatusCode.NotFound, "dataset_id"),
            (new { name = "x", dataset_id = dataset, configuration_id = unknown, metrics = new[] { "refusals_metric" } }, HttpStatusCode.NotFound, "configuration_id"),
            (new { name = "x", dataset_id = dataset, configuration_id = configuration, metrics = new[] { "refusals_metric", "no-such-metric" } }, HttpStatusCode.NotFound, "metrics[1]"),
        };
        foreach (var (body, status, field) in cases)
        {
            using var response = await api.PostAsJsonAsync(new Uri("/v1/experiments", UriKind.Relative), body);
            var problem = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{field}: {(int)response.StatusCode} {problem}");
            Assert.Contains(field, problem, StringComparison.Ordinal);
        }

        using (var missing = await api.GetAsync(new Uri($"/v1/experiments/{unknown}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var notUuid = await api.GetAsync(new Uri("/v1/experiments/not-a-uuid", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.BadRequest, notUuid.StatusCode);
        using (var evaluate = await api.PostAsJsonAsync(new Uri($"/v1/runs/{unknown}/evaluate", UriKind.Relative), new { metrics = new[] { "refusals_metric" } }))
            Assert.Equal(HttpStatusCode.NotFound, evaluate.StatusCode);
    }
}
