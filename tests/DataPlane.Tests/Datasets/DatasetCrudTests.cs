using System.Net;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests.Datasets;

public sealed class DatasetCrudTests(ApiFixture api, DatasetsFixture fixture) : DatasetTestBase(api, fixture)
{
    [Fact]
    public async Task Create_list_update_and_delete_a_dataset_on_the_v1_paths()
    {
        var name = "crud-" + Guid.NewGuid();
        var id = await A.CreateDatasetAsync(new { name, description = "first", type = "fine-tuning", metadata = new { owner = "qa" } });

        var dataset = await A.DatasetAsync(id);
        Assert.Equal(id, dataset.GetProperty("id").GetString());
        Assert.Equal(name, dataset.GetProperty("name").GetString());
        Assert.Equal("first", dataset.GetProperty("description").GetString());
        Assert.Equal("fine-tuning", dataset.GetProperty("type").GetString());
        Assert.Equal("qa", dataset.GetProperty("metadata").GetProperty("owner").GetString());
        Assert.Empty(dataset.GetProperty("datapoints").EnumerateArray());
        Assert.Equal(0, dataset.GetProperty("num_points").GetInt32());
        Assert.True(DateTimeOffset.TryParse(dataset.GetProperty("created_at").GetString(), out _));

        var byName = await A.GetJsonAsync($"/v1/datasets?name={name}");
        Assert.Equal(id, Assert.Single(byName.GetProperty("datasets").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await A.GetJsonAsync($"/v1/datasets?name={name}&type=evaluation")).GetProperty("datasets").EnumerateArray());

        var point = await A.CreateDatapointAsync(new { inputs = new { q = 1 } });
        var updated = await A.PutJsonAsync($"/v1/datasets/{id}", new { name = name + "-renamed", datapoints = new[] { point } });
        Assert.Equal(name + "-renamed", updated.GetProperty("result").GetProperty("name").GetString());
        Assert.Equal("first", updated.GetProperty("result").GetProperty("description").GetString());
        Assert.Equal([point], updated.GetProperty("result").GetProperty("datapoints").Strings());

        var deleted = await A.DeleteJsonAsync($"/v1/datasets/{id}");
        Assert.Equal(id, deleted.GetProperty("result").GetProperty("id").GetString());
        Assert.Empty((await A.GetJsonAsync($"/v1/datasets?dataset_id={id}")).GetProperty("datasets").EnumerateArray());
        await A.DeleteJsonAsync($"/v1/datasets/{id}", HttpStatusCode.NotFound);
        // The datapoint outlives the dataset; only its membership went.
        Assert.Empty((await A.DatapointAsync(point)).GetProperty("linked_datasets").EnumerateArray());
    }

    [Fact]
    public async Task The_legacy_paths_answer_in_the_shapes_sdk_1_0_42_reads()
    {
        var name = "legacy-" + Guid.NewGuid();
        var created = await A.PostJsonAsync("/datasets", new { project = "ignored", name, pipeline_type = "session" });
        var id = created.GetProperty("result").GetProperty("insertedId").GetString()!;

        var list = await A.GetJsonAsync($"/datasets?project=ignored&dataset_id={id}");
        Assert.False(list.TryGetProperty("datasets", out _));
        var dataset = Assert.Single(list.GetProperty("testcases").EnumerateArray());
        Assert.Equal("session", dataset.GetProperty("pipeline_type").GetString());
        Assert.Equal("evaluation", dataset.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.String, dataset.GetProperty("description").ValueKind);

        // PUT /datasets carries the id in the body, DELETE /datasets in the query.
        await A.PutJsonAsync("/datasets", new { dataset_id = id, description = "via body", linked_evals = new[] { "run-1" } });
        dataset = await A.DatasetAsync(id);
        Assert.Equal("via body", dataset.GetProperty("description").GetString());
        Assert.Equal(["run-1"], dataset.GetProperty("linked_evals").Strings());
        await A.DeleteJsonAsync($"/datasets?dataset_id={id}");
        await A.DeleteJsonAsync($"/datasets?dataset_id={id}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Lists_page_newest_first_within_the_configured_maximum()
    {
        var name = "paged-" + Guid.NewGuid();
        var ids = new List<string>();
        for (var i = 0; i < DatasetsFixture.MaxDatasetsLimit + 2; i++) ids.Add(await A.CreateDatasetAsync(new { name }));
        ids.Reverse();

        // Without a limit the list returns its largest page.
        var first = (await A.GetJsonAsync($"/v1/datasets?name={name}")).GetProperty("datasets");
        Assert.Equal(ids.Take(DatasetsFixture.MaxDatasetsLimit), first.EnumerateArray().Select(d => d.GetProperty("id").GetString()));

        var pages = new List<string>();
        for (var page = 1; page <= 3; page++)
            pages.AddRange((await A.GetJsonAsync($"/v1/datasets?name={name}&limit=3&page={page}")).GetProperty("datasets")
                .EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
        Assert.Equal(ids, pages);

        (await A.GetJsonAsync($"/v1/datasets?limit={DatasetsFixture.MaxDatasetsLimit + 1}", HttpStatusCode.BadRequest)).AssertNames("limit");
        (await A.GetJsonAsync("/v1/datasets?limit=0", HttpStatusCode.BadRequest)).AssertNames("limit");
        (await A.GetJsonAsync("/v1/datasets?page=0", HttpStatusCode.BadRequest)).AssertNames("page");
    }

    [Fact]
    public async Task A_dataset_created_with_datapoints_keeps_their_order_and_update_replaces_it()
    {
        var p1 = await A.CreateDatapointAsync(new { inputs = new { n = 1 } });
        var p2 = await A.CreateDatapointAsync(new { inputs = new { n = 2 } });
        var p3 = await A.CreateDatapointAsync(new { inputs = new { n = 3 } });
        var id = await A.CreateDatasetAsync(new { name = "ordered", datapoints = new[] { p3, p1, p3 } });
        var dataset = await A.DatasetAsync(id);
        Assert.Equal([p3, p1], dataset.GetProperty("datapoints").Strings());
        Assert.Equal(2, dataset.GetProperty("num_points").GetInt32());

        await A.PutJsonAsync($"/v1/datasets/{id}", new { datapoints = new[] { p2, p3 } });
        Assert.Equal([p2, p3], (await A.DatasetAsync(id)).GetProperty("datapoints").Strings());
        Assert.Equal([id], (await A.DatapointAsync(p2)).GetProperty("linked_datasets").Strings());
        Assert.Empty((await A.DatapointAsync(p1)).GetProperty("linked_datasets").EnumerateArray());

        // An unknown datapoint refuses the whole update.
        var missing = Guid.NewGuid().ToString();
        var problem = await A.PutJsonAsync($"/v1/datasets/{id}", new { name = "not applied", datapoints = new[] { p1, missing } }, HttpStatusCode.NotFound);
        Assert.Equal("datapoints[1]", problem.GetProperty("field").GetString());
        var after = await A.DatasetAsync(id);
        Assert.Equal("ordered", after.GetProperty("name").GetString());
        Assert.Equal([p2, p3], after.GetProperty("datapoints").Strings());
    }
}
