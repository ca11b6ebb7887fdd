using System.Net;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests.Datasets;

public sealed class DatapointTests(ApiFixture api, DatasetsFixture fixture) : DatasetTestBase(api, fixture)
{
    [Fact]
    public async Task Create_get_update_and_delete_a_datapoint()
    {
        var dataset = await A.CreateDatasetAsync(new { name = "dp-crud" });
        var created = await A.PostJsonAsync("/v1/datapoints", new
        {
            inputs = new { question = "2+2?" },
            history = new[] { new { role = "user", content = "hi" } },
            ground_truth = new { answer = "4" },
            metadata = new { source = "manual" },
            linked_event = "evt-1",
            linked_datasets = new[] { dataset },
        });
        Assert.True(created.GetProperty("inserted").GetBoolean());
        var id = created.GetProperty("result").GetProperty("insertedId").GetString()!;
        Assert.Equal([id], created.GetProperty("result").GetProperty("insertedIds").Strings());

        var point = await A.DatapointAsync(id);
        Assert.Equal("2+2?", point.GetProperty("inputs").GetProperty("question").GetString());
        Assert.Equal("hi", point.GetProperty("history")[0].GetProperty("content").GetString());
        Assert.Equal("4", point.GetProperty("ground_truth").GetProperty("answer").GetString());
        Assert.Equal("manual", point.GetProperty("metadata").GetProperty("source").GetString());
        Assert.Equal("evt-1", point.GetProperty("linked_event").GetString());
        Assert.Equal([dataset], point.GetProperty("linked_datasets").Strings());
        Assert.Equal([id], (await A.DatasetAsync(dataset)).GetProperty("datapoints").Strings());

        // Only the fields sent change.
        var updated = await A.PutJsonAsync($"/v1/datapoints/{id}", new { inputs = new { question = "3+3?" } });
        Assert.True(updated.GetProperty("updated").GetBoolean());
        Assert.Equal(1, updated.GetProperty("result").GetProperty("modifiedCount").GetInt32());
        point = await A.DatapointAsync(id);
        Assert.Equal("3+3?", point.GetProperty("inputs").GetProperty("question").GetString());
        Assert.Equal("4", point.GetProperty("ground_truth").GetProperty("answer").GetString());
        Assert.Equal([dataset], point.GetProperty("linked_datasets").Strings());

        // linked_datasets replaces the memberships.
        var other = await A.CreateDatasetAsync(new { name = "dp-crud-2" });
        await A.PutJsonAsync($"/v1/datapoints/{id}", new { linked_datasets = new[] { other } });
        Assert.Equal([other], (await A.DatapointAsync(id)).GetProperty("linked_datasets").Strings());
        Assert.Empty((await A.DatasetAsync(dataset)).GetProperty("datapoints").EnumerateArray());

        Assert.True((await A.DeleteJsonAsync($"/v1/datapoints/{id}")).GetProperty("deleted").GetBoolean());
        await A.GetJsonAsync($"/v1/datapoints/{id}", HttpStatusCode.NotFound);
        await A.DeleteJsonAsync($"/v1/datapoints/{id}", HttpStatusCode.NotFound);
        await A.PutJsonAsync($"/v1/datapoints/{id}", new { inputs = new { } }, HttpStatusCode.NotFound);
        Assert.Empty((await A.DatasetAsync(other)).GetProperty("datapoints").EnumerateArray());
    }

    [Fact]
    public async Task V1_writes_absent_values_as_null_and_legacy_leaves_them_out()
    {
        var id = await A.CreateDatapointAsync(new { inputs = new { x = 1 } });

        var v1 = await A.DatapointAsync(id);
        Assert.Equal(JsonValueKind.Null, v1.GetProperty("ground_truth").ValueKind);
        Assert.Equal(JsonValueKind.Null, v1.GetProperty("linked_event").ValueKind);
        Assert.Empty(v1.GetProperty("history").EnumerateArray());

        var legacy = Assert.Single((await A.GetJsonAsync($"/datapoints/{id}")).GetProperty("datapoint").EnumerateArray());
        Assert.Equal(id, legacy.GetProperty("_id").GetString());
        Assert.False(legacy.TryGetProperty("ground_truth", out _));
        Assert.False(legacy.TryGetProperty("metadata", out _));
        Assert.False(legacy.TryGetProperty("linked_event", out _));
    }

    [Fact]
    public async Task Add_datapoints_maps_data_fields_and_keeps_the_rest_as_metadata()
    {
        var dataset = await A.CreateDatasetAsync(new { name = "mapped-" + Guid.NewGuid() });
        var added = await A.PostJsonAsync($"/v1/datasets/{dataset}/datapoints", new
        {
            project = "ignored",
            data = new object[]
            {
                new { question = "q1", answer = "a1", messages = new[] { new { role = "user", content = "m1" } }, extra = new { tag = "t1" } },
                new { question = "q2", answer = "a2", messages = new { role = "system", content = "m2" }, nested = new { deep = new { value = 7 } } },
            },
            mapping = new { inputs = new[] { "question", "nested.deep.value" }, ground_truth = new[] { "answer" }, history = new[] { "messages" } },
        });
        Assert.True(added.GetProperty("inserted").GetBoolean());
        var ids = added.GetProperty("datapoint_ids").Strings();
        Assert.Equal(2, ids.Length);
        Assert.Equal(ids, (await A.DatasetAsync(dataset)).GetProperty("datapoints").Strings());

        var first = await A.DatapointAsync(ids[0]);
        Assert.Equal("q1", first.GetProperty("inputs").GetProperty("question").GetString());
        Assert.Equal("a1", first.GetProperty("ground_truth").GetProperty("answer").GetString());
        Assert.Equal("m1", Assert.Single(first.GetProperty("history").EnumerateArray()).GetProperty("content").GetString());
        Assert.Equal("t1", first.GetProperty("metadata").GetProperty("extra").GetProperty("tag").GetString());
        Assert.False(first.GetProperty("metadata").TryGetProperty("question", out _));
        Assert.Equal([dataset], first.GetProperty("linked_datasets").Strings());

        var second = await A.DatapointAsync(ids[1]);
        Assert.Equal(7, second.GetProperty("inputs").GetProperty("value").GetInt32());
        Assert.Equal("system", Assert.Single(second.GetProperty("history").EnumerateArray()).GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("metadata").ValueKind);

        // Listing by dataset name or id returns them in the dataset's order.
        var name = (await A.DatasetAsync(dataset)).GetProperty("name").GetString();
        Assert.Equal(ids, (await A.GetJsonAsync($"/v1/datapoints?dataset_name={name}")).GetProperty("datapoints").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Equal(ids, (await A.GetJsonAsync($"/datapoints?project=x&dataset_id={dataset}")).GetProperty("datapoints").EnumerateArray().Select(p => p.GetProperty("_id").GetString()));
        Assert.Equal([ids[1]], (await A.GetJsonAsync($"/v1/datapoints?datapoint_ids={ids[1]}&dataset_name={name}")).GetProperty("datapoints").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Removing_a_datapoint_from_a_dataset_keeps_the_datapoint()
    {
        var point = await A.CreateDatapointAsync(new { inputs = new { n = 1 } });
        var dataset = await A.CreateDatasetAsync(new { name = "remove", datapoints = new[] { point } });

        var removed = await A.DeleteJsonAsync($"/v1/datasets/{dataset}/datapoints/{point}");
        Assert.True(removed.GetProperty("dereferenced").GetBoolean());
        Assert.False(string.IsNullOrEmpty(removed.GetProperty("message").GetString()));
        Assert.Empty((await A.DatasetAsync(dataset)).GetProperty("datapoints").EnumerateArray());
        Assert.Empty((await A.DatapointAsync(point)).GetProperty("linked_datasets").EnumerateArray());

        // Not a member any more: 404, on the deprecated path too.
        await A.DeleteJsonAsync($"/v1/datasets/{dataset}/datapoints/{point}", HttpStatusCode.NotFound);
        await A.PutJsonAsync($"/v1/datasets/{dataset}", new { datapoints = new[] { point } });
        Assert.True((await A.DeleteJsonAsync($"/v1/datasets/{dataset}/{point}")).GetProperty("dereferenced").GetBoolean());
    }

    [Fact]
    public async Task Datapoint_lists_are_bounded_and_page_through_a_dataset()
    {
        var dataset = await A.CreateDatasetAsync(new { name = "paged-points-" + Guid.NewGuid() });
        var data = Enumerable.Range(0, DatasetsFixture.MaxDatapointsLimit + 2).Select(i => new { n = i }).ToArray();
        var ids = (await A.PostJsonAsync($"/v1/datasets/{dataset}/datapoints", new { data, mapping = new { inputs = new[] { "n" }, ground_truth = Array.Empty<string>(), history = Array.Empty<string>() } }))
            .GetProperty("datapoint_ids").Strings();

        var firstPage = (await A.GetJsonAsync($"/v1/datapoints?dataset_id={dataset}")).GetProperty("datapoints").EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Equal(ids.Take(DatasetsFixture.MaxDatapointsLimit), firstPage);
        var secondPage = (await A.GetJsonAsync($"/v1/datapoints?dataset_id={dataset}&page=2")).GetProperty("datapoints").EnumerateArray().Select(p => p.GetProperty("id").GetString());
        Assert.Equal(ids.Skip(DatasetsFixture.MaxDatapointsLimit), secondPage);

        (await A.GetJsonAsync($"/v1/datapoints?dataset_id={dataset}&limit={DatasetsFixture.MaxDatapointsLimit + 1}", HttpStatusCode.BadRequest)).AssertNames("limit");
        var tooMany = string.Join("&", Enumerable.Range(0, DatasetsFixture.MaxItemsPerRequest + 1).Select(_ => "datapoint_ids=" + Guid.NewGuid()));
        (await A.GetJsonAsync($"/v1/datapoints?{tooMany}", HttpStatusCode.BadRequest)).AssertNames("datapoint_ids");
    }
}
