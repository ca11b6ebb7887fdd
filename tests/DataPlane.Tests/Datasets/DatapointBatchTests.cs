using System.Net;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests.Datasets;

/// <summary><c>POST /v1/datapoints/batch</c>: datapoints curated from the events in chDB (DatasetEvents).</summary>
public sealed class DatapointBatchTests(ApiFixture api, DatasetsFixture fixture) : DatasetTestBase(api, fixture)
{
    [Fact]
    public async Task Named_events_become_datapoints_from_their_current_revision_through_the_mapping()
    {
        var dataset = await A.CreateDatasetAsync(new { name = "from-events" });
        var batch = await A.PostJsonAsync("/v1/datapoints/batch", new
        {
            events = new[] { DatasetEvents.Model, DatasetEvents.Tool },
            mapping = new
            {
                inputs = new[] { "inputs.question", "inputs.query", "metadata.topic" },
                ground_truth = new[] { "outputs.answer" },
                history = new[] { "inputs.chat_history" },
            },
            dataset_id = dataset,
        });
        Assert.True(batch.GetProperty("inserted").GetBoolean());
        var ids = batch.GetProperty("insertedIds").Strings();
        Assert.Equal(2, ids.Length);
        Assert.Equal(ids, (await A.DatasetAsync(dataset)).GetProperty("datapoints").Strings());

        var model = await A.DatapointAsync(ids[0]);
        Assert.Equal(DatasetEvents.Model, model.GetProperty("linked_event").GetString());
        // The stale first revision asked "stale question"; the current one is used.
        Assert.Equal("What is 2+2?", model.GetProperty("inputs").GetProperty("question").GetString());
        Assert.Equal("math", model.GetProperty("inputs").GetProperty("topic").GetString());
        Assert.False(model.GetProperty("inputs").TryGetProperty("query", out _));
        Assert.Equal("4", model.GetProperty("ground_truth").GetProperty("answer").GetString());
        Assert.Equal(["user", "assistant"], model.GetProperty("history").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal([dataset], model.GetProperty("linked_datasets").Strings());

        var tool = await A.DatapointAsync(ids[1]);
        Assert.Equal(DatasetEvents.Tool, tool.GetProperty("linked_event").GetString());
        Assert.Equal("capital of France", tool.GetProperty("inputs").GetProperty("query").GetString());
        Assert.Equal("Paris", tool.GetProperty("ground_truth").GetProperty("answer").GetString());
        Assert.Empty(tool.GetProperty("history").EnumerateArray());
    }

    [Fact]
    public async Task Without_a_mapping_an_events_inputs_and_feedback_ground_truth_are_used()
    {
        var batch = await A.PostJsonAsync("/v1/datapoints/batch", new { checkState = new Dictionary<string, bool> { [DatasetEvents.Model] = true } });
        var point = await A.DatapointAsync(Assert.Single(batch.GetProperty("insertedIds").Strings()));
        Assert.Equal("What is 2+2?", point.GetProperty("inputs").GetProperty("question").GetString());
        Assert.Equal(JsonValueKind.Array, point.GetProperty("inputs").GetProperty("chat_history").ValueKind);
        Assert.Equal("4", point.GetProperty("ground_truth").GetProperty("answer").GetString());
        Assert.Equal(JsonValueKind.Null, point.GetProperty("metadata").ValueKind);
    }

    [Fact]
    public async Task Select_all_takes_the_events_matching_filters_and_date_range_except_unchecked_ones()
    {
        var from = SeedData.Base.AddSeconds(DatasetEvents.Start).ToString("O");
        var to = SeedData.Base.AddSeconds(DatasetEvents.Start + 60).ToString("O");
        var batch = await A.PostJsonAsync("/v1/datapoints/batch", new
        {
            selectAll = true,
            filters = new[] { new { field = "event_type", @operator = "is not", value = "session", type = "string" } },
            dateRange = new Dictionary<string, string> { ["$gte"] = from, ["$lte"] = to },
            checkState = new Dictionary<string, bool> { [DatasetEvents.Tool] = false },
            mapping = new { inputs = new[] { "inputs" }, ground_truth = Array.Empty<string>(), history = Array.Empty<string>() },
        });
        var ids = batch.GetProperty("insertedIds").Strings();
        // Model only: the session is filtered out, the tool unchecked, the tombstoned event gone, project B's never seen.
        var point = await A.DatapointAsync(Assert.Single(ids));
        Assert.Equal(DatasetEvents.Model, point.GetProperty("linked_event").GetString());
        Assert.Equal("What is 2+2?", point.GetProperty("inputs").GetProperty("question").GetString());

        var invalid = await A.PostJsonAsync("/v1/datapoints/batch", new { selectAll = true, filters = new[] { new { field = "event_type", @operator = "sounds like", value = "x", type = "string" } } },
            HttpStatusCode.BadRequest);
        Assert.Contains(invalid.GetProperty("errors").EnumerateObject(), e => e.Name.StartsWith("filters", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleted_and_other_projects_events_are_not_found_and_nothing_is_created()
    {
        var before = await CountAsync();
        var deleted = await A.PostJsonAsync("/v1/datapoints/batch", new { events = new[] { DatasetEvents.Model, DatasetEvents.Deleted } }, HttpStatusCode.NotFound);
        Assert.Contains(DatasetEvents.Deleted, deleted.GetProperty("detail").GetString());
        var foreign = await A.PostJsonAsync("/v1/datapoints/batch", new { events = new[] { DatasetEvents.EventB } }, HttpStatusCode.NotFound);
        Assert.DoesNotContain("project B only", foreign.GetRawText());
        Assert.Equal(before, await CountAsync());

        // Project B reaches its own event.
        var own = await B.PostJsonAsync("/v1/datapoints/batch", new { events = new[] { DatasetEvents.EventB } });
        var point = await B.DatapointAsync(Assert.Single(own.GetProperty("insertedIds").Strings()));
        Assert.Equal("project B only", point.GetProperty("inputs").GetProperty("question").GetString());
    }

    [Fact]
    public async Task A_batch_must_name_events_and_stay_within_the_item_limit()
    {
        (await A.PostJsonAsync("/v1/datapoints/batch", new { mapping = new { inputs = new[] { "inputs" } } }, HttpStatusCode.BadRequest)).AssertNames("events");
        var many = Enumerable.Range(0, DatasetsFixture.MaxItemsPerRequest + 1).Select(_ => Guid.NewGuid().ToString()).ToArray();
        (await A.PostJsonAsync("/v1/datapoints/batch", new { events = many }, HttpStatusCode.BadRequest)).AssertNames("events");
        (await A.PostJsonAsync("/v1/datapoints/batch", new { events = new[] { DatasetEvents.Model }, dataset_id = "nope" }, HttpStatusCode.BadRequest)).AssertNames("dataset_id");
        (await A.PostJsonAsync("/v1/datapoints/batch", new { events = new[] { DatasetEvents.Model }, mapping = new { inputs = "inputs" } }, HttpStatusCode.BadRequest)).AssertNames("mapping.inputs");
        await A.PostJsonAsync("/v1/datapoints/batch", new { events = new[] { DatasetEvents.Model }, dataset_id = Guid.NewGuid() }, HttpStatusCode.NotFound);
    }

    private async Task<long> CountAsync()
    {
        await using var command = Fixture.Dpdb.CreateCommand("SELECT count(*) FROM datapoints");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
