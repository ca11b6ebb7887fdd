using System.Net;
using System.Text.Json;
using static HoneyHive.DataPlane.Tests.Runs.RunSeed;

namespace HoneyHive.DataPlane.Tests.Runs;

/// <summary>Comparisons, event pairs and schemas of the seeded runs.</summary>
[Collection(RunsCollection.Name)]
public sealed class RunCompareTests(RunsFixture fixture)
{
    private readonly HttpClient a = fixture.Client(RunTenants.KeyA);

    [Theory]
    [InlineData("/v1/runs/{0}/compare/{1}")]
    [InlineData("/v1/runs/{0}/compare-with/{1}")]
    [InlineData("/runs/{0}/compare-with/{1}")]
    public async Task Comparing_runs_gives_both_aggregates_and_the_improved_and_degraded_datapoints(string path)
    {
        var result = await (await a.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, NewRun, OldRun))).ReadJsonAsync();

        // dp5 ran only in the new run.
        Assert.Equal(["dp1", "dp2", "dp3", "dp4"], RunCrudTests.Strings(result.GetProperty("commonDatapoints")));
        Assert.Equal(NewRun, result.GetProperty("new_run").GetProperty("run_id").GetString());
        Assert.Equal(OldRun, result.GetProperty("old_run").GetProperty("run_id").GetString());

        var accuracy = Metric(result, "accuracy");
        var oldAverage = (0.5 + 0.7 + 0.9 + 0.4) / 4;
        var newAverage = (0.8 + 0.7 + 0.6 + 1.0 + 0.2) / 5;
        Assert.Equal(oldAverage, accuracy.GetProperty("old_aggregate").GetDouble(), 9);
        Assert.Equal(newAverage, accuracy.GetProperty("new_aggregate").GetDouble(), 9);
        Assert.Equal(newAverage - oldAverage, accuracy.GetProperty("difference").GetDouble(), 9);
        Assert.Equal((newAverage - oldAverage) / oldAverage * 100, accuracy.GetProperty("percentage_change").GetDouble(), 9);
        // Per common datapoint, new vs old: dp1 0.8 > 0.5, dp2 0.7 = 0.7, dp3 0.6 < 0.9, dp4 1.0 > 0.4.
        Assert.Equal(4, accuracy.GetProperty("found_count").GetInt32());
        Assert.Equal(2, accuracy.GetProperty("improved_count").GetInt32());
        Assert.Equal(1, accuracy.GetProperty("degraded_count").GetInt32());
        Assert.Equal(1, accuracy.GetProperty("same_count").GetInt32());
        Assert.Equal(["dp1", "dp4"], RunCrudTests.Strings(accuracy.GetProperty("improved")));
        Assert.Equal(["dp3"], RunCrudTests.Strings(accuracy.GetProperty("degraded")));
        Assert.Equal(["dp2"], RunCrudTests.Strings(accuracy.GetProperty("same")));
        Assert.Equal(OldAccuracy, RunResultTests.Numbers(accuracy.GetProperty("old_values")));
        Assert.Equal(NewAccuracy, RunResultTests.Numbers(accuracy.GetProperty("new_values")));

        // passed, old → new: dp1 true → true, dp2 true → false, dp3 false → true, dp4 false → true.
        var passed = Metric(result, "passed");
        Assert.Equal(["dp3", "dp4"], RunCrudTests.Strings(passed.GetProperty("improved")));
        Assert.Equal(["dp2"], RunCrudTests.Strings(passed.GetProperty("degraded")));
        Assert.Equal(["dp1"], RunCrudTests.Strings(passed.GetProperty("same")));

        Assert.All(result.GetProperty("event_details").EnumerateArray(), e => Assert.Equal("both", e.GetProperty("presence").GetString()));
    }

    [Fact]
    public async Task The_comparison_applies_the_requested_aggregate_function()
    {
        var result = await (await a.GetAsync($"/v1/runs/{NewRun}/compare/{OldRun}?aggregate_function=max")).ReadJsonAsync();
        var accuracy = Metric(result, "accuracy");
        Assert.Equal(0.9, accuracy.GetProperty("old_aggregate").GetDouble(), 9);
        Assert.Equal(1.0, accuracy.GetProperty("new_aggregate").GetDouble(), 9);

        var problem = await (await a.GetAsync($"/v1/runs/{NewRun}/compare/{OldRun}?aggregate_function=top")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("aggregate_function", out _));
    }

    [Fact]
    public async Task Paired_events_meet_per_datapoint_and_are_paged()
    {
        var pairs = await (await a.GetAsync($"/v1/runs/compare/events?run_id_1={NewRun}&run_id_2={OldRun}&event_name=llm-call")).ReadJsonAsync();

        Assert.Equal(4, pairs.GetProperty("totalEvents").GetInt32());
        var list = pairs.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["dp1", "dp2", "dp3", "dp4"], list.Select(p => p.GetProperty("datapoint_id").GetString()));
        Assert.Equal(Enumerable.Range(1, 4).Select(n => ModelEvent(NewRun, n)), list.Select(p => p.GetProperty("event_1").GetProperty("event_id").GetString()));
        Assert.Equal(Enumerable.Range(1, 4).Select(n => ModelEvent(OldRun, n)), list.Select(p => p.GetProperty("event_2").GetProperty("event_id").GetString()));
        // Full events, current revision: dp3's new model event reads 0.6, not the stale 0.95.
        Assert.Equal(0.6, list[2].GetProperty("event_1").GetProperty("metrics").GetProperty("accuracy").GetDouble());
        Assert.Equal("gpt-4o", list[0].GetProperty("event_2").GetProperty("metadata").GetProperty("model").GetString());

        var page = await (await a.GetAsync($"/v1/runs/{NewRun}/compare/{OldRun}/events?event_name=llm-call&limit=3&page=2")).ReadJsonAsync();
        Assert.Equal(["dp4"], page.GetProperty("events").EnumerateArray().Select(p => p.GetProperty("datapoint_id").GetString()));
        Assert.Equal(4, page.GetProperty("totalEvents").GetInt32());

        // Without a name every kind of event pairs: a session and a model event per common datapoint.
        var all = await (await a.GetAsync($"/v1/runs/{NewRun}/compare/{OldRun}/events")).ReadJsonAsync();
        Assert.Equal(8, all.GetProperty("totalEvents").GetInt32());
        var sessions = await (await a.GetAsync($"/v1/runs/{NewRun}/compare/{OldRun}/events?event_type=session")).ReadJsonAsync();
        Assert.Equal(Enumerable.Range(1, 4).Select(n => Session(NewRun, n)),
            sessions.GetProperty("events").EnumerateArray().Select(p => p.GetProperty("event_1").GetProperty("event_id").GetString()));
    }

    [Theory]
    [InlineData("run_id_1={0}", "run_id_2")]
    [InlineData("run_id_1={0}&run_id_2=nope", "run_id_2")]
    [InlineData("run_id_1={0}&run_id_2={1}&limit=1001", "limit")]
    [InlineData("run_id_1={0}&run_id_2={1}&filter=%7B%22field%22%3A%22x.y%22%2C%22operator%22%3A%22is%22%7D", "x.y")]
    public async Task Bad_pairing_parameters_are_a_400_naming_them(string query, string field)
    {
        var url = "/v1/runs/compare/events?" + string.Format(System.Globalization.CultureInfo.InvariantCulture, query, NewRun, OldRun);
        var problem = await (await a.GetAsync(url)).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task The_run_schema_lists_the_fields_of_its_events_per_event_type()
    {
        var schema = await (await a.GetAsync($"/v1/runs/{NewRun}/schema")).ReadJsonAsync();

        var fields = Fields(schema);
        Assert.Contains("model:metrics.accuracy", fields);
        Assert.Contains("model:metrics.passed", fields);
        Assert.Contains("model:metadata.model", fields);
        Assert.Contains("session:inputs.question", fields);
        Assert.Contains("session:metadata.datapoint_id", fields);
        Assert.Contains("model:duration", fields);
        // The deleted tool event leaves no trace.
        Assert.DoesNotContain(fields, f => f.StartsWith("tool:", StringComparison.Ordinal));
        Assert.Equal([Dataset], RunCrudTests.Strings(schema.GetProperty("datasets")));
        var mapping = schema.GetProperty("mappings").GetProperty("metrics.accuracy").EnumerateArray().Single();
        Assert.Equal("model", mapping.GetProperty("event_type").GetString());

        var project = await (await a.GetAsync("/v1/runs/schema")).ReadJsonAsync();
        Assert.Contains("model:metrics.accuracy", Fields(project));
        Assert.Contains(Dataset, RunCrudTests.Strings(project.GetProperty("datasets")));

        var legacy = await (await a.GetAsync($"/v1/runs/schema?evaluation_id={OldRun}")).ReadJsonAsync();
        Assert.Contains("session:metadata.datapoint_id", Fields(legacy));
    }

    private static JsonElement Metric(JsonElement result, string name) =>
        result.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric_name").GetString() == name);

    private static List<string> Fields(JsonElement schema) =>
        [.. schema.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("event_type").GetString() + ":" + f.GetProperty("name").GetString())];
}
