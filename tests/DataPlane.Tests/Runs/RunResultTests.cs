using System.Net;
using System.Text.Json;
using static HoneyHive.DataPlane.Tests.Runs.RunSeed;

namespace HoneyHive.DataPlane.Tests.Runs;

/// <summary>Summaries and raw metrics of the seeded runs, checked against arithmetic on <see cref="RunSeed"/>'s numbers.</summary>
[Collection(RunsCollection.Name)]
public sealed class RunResultTests(RunsFixture fixture)
{
    private readonly HttpClient a = fixture.Client(RunTenants.KeyA);

    // New run accuracy: 0.8, 0.7, 0.6, 1.0, 0.2 → sorted 0.2, 0.6, 0.7, 0.8, 1.0. Percentiles interpolate
    // at position (n − 1)·q = 4q: p90 at 3.6 lies 60% of the way from 0.8 to 1.0.
    [Theory]
    [InlineData("average", (0.8 + 0.7 + 0.6 + 1.0 + 0.2) / 5)]
    [InlineData("min", 0.2)]
    [InlineData("max", 1.0)]
    [InlineData("sum", 0.8 + 0.7 + 0.6 + 1.0 + 0.2)]
    [InlineData("count", 5)]
    [InlineData("median", 0.7)]
    [InlineData("p90", 0.8 + (0.6 * (1.0 - 0.8)))]
    [InlineData("p95", 0.8 + (0.8 * (1.0 - 0.8)))]
    [InlineData("p99", 0.8 + (0.96 * (1.0 - 0.8)))]
    public async Task The_accuracy_aggregate_follows_the_requested_function(string function, double expected)
    {
        var result = await (await a.GetAsync($"/v1/runs/{NewRun}/result?aggregate_function={function}")).ReadJsonAsync();

        Assert.Equal(function, result.GetProperty("metrics").GetProperty("aggregation_function").GetString());
        var accuracy = Detail(result, "accuracy", "llm-call");
        Assert.Equal(expected, accuracy.GetProperty("aggregate").GetDouble(), 9);
    }

    [Fact]
    public async Task The_summary_counts_current_revisions_only_and_judges_datapoints_by_the_thresholds()
    {
        var result = await (await a.GetAsync($"/v1/runs/{NewRun}/summary")).ReadJsonAsync();

        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.True(result.GetProperty("success").GetBoolean());
        Assert.Equal(NewRun, result.GetProperty("run_object").GetProperty("run_id").GetString());

        // The stale revision (0.95), the deleted tool event (100) and project B's events (1000) are absent.
        var accuracy = Detail(result, "accuracy", "llm-call");
        Assert.Equal(NewAccuracy, Numbers(accuracy.GetProperty("values")));
        Assert.Equal("model", accuracy.GetProperty("event_type").GetString());
        Assert.Equal(AccuracyMin, accuracy.GetProperty("passing_range").GetProperty("min").GetDouble());
        // accuracy ≥ 0.65: 0.8, 0.7 and 1.0 pass; 0.6 and 0.2 fail.
        Assert.Equal(["dp1", "dp2", "dp4"], RunCrudTests.Strings(accuracy.GetProperty("datapoints").GetProperty("passed")));
        Assert.Equal(["dp3", "dp5"], RunCrudTests.Strings(accuracy.GetProperty("datapoints").GetProperty("failed")));
        Assert.DoesNotContain(Details(result), d => d.GetProperty("metric_name").GetString() == "accuracy_explanation");
        Assert.DoesNotContain(Details(result), d => d.GetProperty("event_name").GetString() == "retrieve");

        // A boolean metric passes when true: true, false, true, true, false; its average is the pass rate.
        var passed = Detail(result, "passed", "llm-call");
        Assert.Equal(NewPassed.Select(p => p ? 1.0 : 0.0), Numbers(passed.GetProperty("values")));
        Assert.Equal(3.0 / 5, passed.GetProperty("aggregate").GetDouble(), 9);
        Assert.Equal(["dp1", "dp3", "dp4"], RunCrudTests.Strings(passed.GetProperty("datapoints").GetProperty("passed")));

        // A datapoint fails when any of its metrics fails: dp2 (passed=false), dp3 (0.6), dp5 (both).
        Assert.Equal(["dp1", "dp4"], RunCrudTests.Strings(result.GetProperty("passed")));
        Assert.Equal(["dp2", "dp3", "dp5"], RunCrudTests.Strings(result.GetProperty("failed")));

        var datapoints = result.GetProperty("datapoints").EnumerateArray().ToList();
        Assert.Equal(["dp1", "dp2", "dp3", "dp4", "dp5"], datapoints.Select(d => d.GetProperty("datapoint_id").GetString()));
        Assert.Equal([true, false, false, true, false], datapoints.Select(d => d.GetProperty("passed").GetBoolean()));
        // dp4's model event has no datapoint_id of its own: its session's names it.
        Assert.Equal(Session(NewRun, 4), datapoints[3].GetProperty("session_id").GetString());
        var dp3 = datapoints[2].GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "accuracy");
        Assert.Equal(0.6, dp3.GetProperty("value").GetDouble());
        Assert.False(dp3.GetProperty("passed").GetBoolean());

        var kinds = result.GetProperty("event_details").EnumerateArray()
            .Select(e => e.GetProperty("event_type").GetString() + "/" + e.GetProperty("event_name").GetString()).ToList();
        Assert.Equal(["model/llm-call", "session/eval-session"], kinds);
    }

    [Fact]
    public async Task A_session_the_run_declares_in_event_ids_belongs_to_it_without_a_run_id()
    {
        var result = await (await a.GetAsync($"/runs/{OldRun}/result?aggregate_function=count")).ReadJsonAsync();

        var accuracy = Detail(result, "accuracy", "llm-call");
        Assert.Equal(OldAccuracy, Numbers(accuracy.GetProperty("values")));
        Assert.Equal(4, accuracy.GetProperty("aggregate").GetDouble());
        // No passing range for accuracy in the old run: no verdict, only the boolean metric judges.
        Assert.Empty(accuracy.GetProperty("datapoints").GetProperty("failed").EnumerateArray());
        Assert.Equal(["dp1", "dp2"], RunCrudTests.Strings(result.GetProperty("passed")));
        Assert.Equal(["dp3", "dp4"], RunCrudTests.Strings(result.GetProperty("failed")));
    }

    [Fact]
    public async Task Filters_narrow_the_events_the_summary_reads()
    {
        var filters = Uri.EscapeDataString("""[{"field":"metadata.datapoint_id","operator":"is","value":"dp1","type":"string"}]""");
        var result = await (await a.GetAsync($"/v1/runs/{NewRun}/summary?filters={filters}")).ReadJsonAsync();

        Assert.Equal([NewAccuracy[0]], Numbers(Detail(result, "accuracy", "llm-call").GetProperty("values")));
        Assert.Equal(["dp1"], result.GetProperty("datapoints").EnumerateArray().Select(d => d.GetProperty("datapoint_id").GetString()));
    }

    [Theory]
    [InlineData("aggregate_function=mode", "aggregate_function")]
    [InlineData("filters=%5B%7B%22field%22%3A%22secret%22%7D%5D", "secret")]
    [InlineData("filters=nope", "filters")]
    public async Task Bad_summary_parameters_are_a_400_naming_them(string query, string field)
    {
        var problem = await (await a.GetAsync($"/v1/runs/{NewRun}/result?{query}")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Raw_metrics_come_per_event_with_the_datapoint_and_are_paged()
    {
        var page = await (await a.GetAsync($"/v1/runs/{NewRun}/metrics")).ReadJsonAsync();

        Assert.Equal(5, page.GetProperty("totalEvents").GetInt32());
        var events = page.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 5).Select(n => ModelEvent(NewRun, n)), events.Select(e => e.GetProperty("event_id").GetString()));
        Assert.Equal(NewAccuracy, events.Select(e => e.GetProperty("metrics").GetProperty("accuracy").GetDouble()));
        Assert.Equal(NewPassed, events.Select(e => e.GetProperty("metrics").GetProperty("passed").GetBoolean()));
        Assert.All(events, e => Assert.False(e.GetProperty("metrics").TryGetProperty("accuracy_explanation", out _)));
        Assert.Equal("dp4", events[3].GetProperty("metadata").GetProperty("datapoint_id").GetString());
        Assert.Equal(Session(NewRun, 4), events[3].GetProperty("session_id").GetString());

        var last = await (await a.GetAsync($"/v1/runs/{NewRun}/metrics?limit=2&page=3")).ReadJsonAsync();
        Assert.Equal([ModelEvent(NewRun, 5)], last.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("event_id").GetString()));
        Assert.Equal(5, last.GetProperty("totalEvents").GetInt32());

        var tooMany = await (await a.GetAsync($"/v1/runs/{NewRun}/metrics?limit=10001")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(tooMany.GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task A_run_without_events_summarizes_to_empty_lists()
    {
        var created = await (await a.PostAsync("/v1/runs", new StringContent("""{"name":"empty"}""", System.Text.Encoding.UTF8, "application/json"))).ReadJsonAsync();
        var id = created.GetProperty("run_id").GetString();

        var result = await (await a.GetAsync($"/v1/runs/{id}/result")).ReadJsonAsync();
        Assert.Empty(Details(result));
        Assert.Empty(result.GetProperty("datapoints").EnumerateArray());
        Assert.Empty(result.GetProperty("passed").EnumerateArray());
        Assert.Equal("pending", result.GetProperty("status").GetString());
    }

    internal static IEnumerable<JsonElement> Details(JsonElement result) =>
        result.GetProperty("metrics").GetProperty("details").EnumerateArray();

    internal static JsonElement Detail(JsonElement result, string metric, string eventName) =>
        Details(result).Single(d => d.GetProperty("metric_name").GetString() == metric && d.GetProperty("event_name").GetString() == eventName);

    internal static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];
}
