using System.Net;

namespace HoneyHive.DataPlane.Tests.Datasets;

/// <summary>Refusals: 400 problem details naming the field, 413 for a body over the limit, 401 without a key.</summary>
public sealed class DatasetValidationTests(ApiFixture api, DatasetsFixture fixture) : DatasetTestBase(api, fixture)
{
    [Fact]
    public async Task Malformed_ids_are_400_naming_the_field()
    {
        (await A.PutJsonAsync("/v1/datasets/not-a-uuid", new { name = "x" }, HttpStatusCode.BadRequest)).AssertNames("dataset_id");
        (await A.DeleteJsonAsync("/v1/datasets/123", HttpStatusCode.BadRequest)).AssertNames("dataset_id");
        (await A.DeleteJsonAsync("/datasets", HttpStatusCode.BadRequest)).AssertNames("dataset_id");
        (await A.PutJsonAsync("/datasets", new { name = "x" }, HttpStatusCode.BadRequest)).AssertNames("dataset_id");
        (await A.GetJsonAsync("/v1/datasets?dataset_id=zzz", HttpStatusCode.BadRequest)).AssertNames("dataset_id");
        (await A.GetJsonAsync("/v1/datapoints/zzz", HttpStatusCode.BadRequest)).AssertNames("datapoint_id");
        (await A.GetJsonAsync($"/v1/datapoints?datapoint_ids={Guid.NewGuid()}&datapoint_ids=bad", HttpStatusCode.BadRequest)).AssertNames("datapoint_ids[1]");
        (await A.DeleteJsonAsync($"/v1/datasets/{Guid.NewGuid()}/datapoints/bad", HttpStatusCode.BadRequest)).AssertNames("datapoint_id");
        (await A.PostJsonAsync("/v1/datasets", new { name = "x", datapoints = new[] { "bad" } }, HttpStatusCode.BadRequest)).AssertNames("datapoints[0]");
        (await A.PostJsonAsync("/v1/datapoints", new { linked_datasets = new[] { "" } }, HttpStatusCode.BadRequest)).AssertNames("linked_datasets[0]");
    }

    [Fact]
    public async Task Dataset_fields_are_checked()
    {
        // The legacy spec requires a name; /v1 defaults it as its spec says.
        (await A.PostJsonAsync("/datasets", new { project = "p" }, HttpStatusCode.BadRequest)).AssertNames("name");
        var untitled = await A.CreateDatasetAsync(new { });
        Assert.Equal("Untitled Dataset", (await A.DatasetAsync(untitled)).GetProperty("name").GetString());

        (await A.PostJsonAsync("/v1/datasets", new { name = "  " }, HttpStatusCode.BadRequest)).AssertNames("name");
        (await A.PostJsonAsync("/v1/datasets", new { name = new string('n', 201) }, HttpStatusCode.BadRequest)).AssertNames("name");
        (await A.PostJsonAsync("/v1/datasets", new { name = 5 }, HttpStatusCode.BadRequest)).AssertNames("name");
        (await A.PostJsonAsync("/v1/datasets", new { name = "x", type = "training" }, HttpStatusCode.BadRequest)).AssertNames("type");
        (await A.PostJsonAsync("/v1/datasets", new { name = "x", pipeline_type = "trace" }, HttpStatusCode.BadRequest)).AssertNames("pipeline_type");
        (await A.PostJsonAsync("/v1/datasets", new { name = "x", metadata = "text" }, HttpStatusCode.BadRequest)).AssertNames("metadata");
        (await A.PutJsonAsync($"/v1/datasets/{untitled}", new { name = "" }, HttpStatusCode.BadRequest)).AssertNames("name");
        (await A.GetJsonAsync("/v1/datasets?type=other", HttpStatusCode.BadRequest)).AssertNames("type");
        var tooMany = Enumerable.Range(0, DatasetsFixture.MaxItemsPerRequest + 1).Select(_ => Guid.NewGuid()).ToArray();
        (await A.PostJsonAsync("/v1/datasets", new { name = "x", datapoints = tooMany }, HttpStatusCode.BadRequest)).AssertNames("datapoints");
    }

    [Fact]
    public async Task Datapoint_and_add_bodies_are_checked()
    {
        (await A.PostJsonAsync("/v1/datapoints", new { inputs = "text" }, HttpStatusCode.BadRequest)).AssertNames("inputs");
        (await A.PostJsonAsync("/v1/datapoints", new { history = new object[] { new { role = "user" }, 3 } }, HttpStatusCode.BadRequest)).AssertNames("history[1]");
        (await A.PostJsonAsync("/v1/datapoints", new { ground_truth = new[] { 1 } }, HttpStatusCode.BadRequest)).AssertNames("ground_truth");
        (await A.PostJsonAsync("/v1/datapoints", new { linked_event = 7 }, HttpStatusCode.BadRequest)).AssertNames("linked_event");

        var dataset = await A.CreateDatasetAsync(new { name = "adds" });
        var url = $"/v1/datasets/{dataset}/datapoints";
        var mapping = new { inputs = new[] { "q" }, ground_truth = Array.Empty<string>(), history = new[] { "h" } };
        (await A.PostJsonAsync(url, new { data = Array.Empty<object>(), mapping }, HttpStatusCode.BadRequest)).AssertNames("data");
        (await A.PostJsonAsync(url, new { data = new[] { new { q = 1 } } }, HttpStatusCode.BadRequest)).AssertNames("mapping");
        (await A.PostJsonAsync(url, new { data = new object[] { new { q = 1 }, "row" }, mapping }, HttpStatusCode.BadRequest)).AssertNames("data[1]");
        (await A.PostJsonAsync(url, new { data = new object[] { new { q = 1, h = "not messages" } }, mapping }, HttpStatusCode.BadRequest)).AssertNames("data[0].h");
        (await A.PostJsonAsync(url, new { data = new[] { new { q = 1 } }, mapping = new { inputs = new object[] { 5 } } }, HttpStatusCode.BadRequest)).AssertNames("mapping.inputs[0]");
        Assert.Empty((await A.DatasetAsync(dataset)).GetProperty("datapoints").EnumerateArray());
    }

    [Fact]
    public async Task Oversized_datapoints_are_400_naming_the_field_and_oversized_bodies_413()
    {
        var big = new string('x', DatasetsFixture.MaxDatapointBytes);
        (await A.PostJsonAsync("/v1/datapoints", new { inputs = new { big } }, HttpStatusCode.BadRequest)).AssertNames("inputs");
        (await A.PostJsonAsync("/v1/datapoints", new { metadata = new { big } }, HttpStatusCode.BadRequest)).AssertNames("metadata");
        var id = await A.CreateDatapointAsync(new { inputs = new { small = 1 } });
        (await A.PutJsonAsync($"/v1/datapoints/{id}", new { ground_truth = new { big } }, HttpStatusCode.BadRequest)).AssertNames("ground_truth");

        var dataset = await A.CreateDatasetAsync(new { name = "big" });
        (await A.PostJsonAsync($"/v1/datasets/{dataset}/datapoints", new { data = new[] { new { q = "ok" }, new { q = big } }, mapping = new { inputs = new[] { "q" } } },
            HttpStatusCode.BadRequest)).AssertNames("data[1].inputs");

        var huge = new string('y', DatasetsFixture.MaxBodyBytes + 1);
        var tooLarge = await A.PostJsonAsync("/v1/datapoints", new { inputs = new { huge } }, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("body", tooLarge.GetProperty("field").GetString());
        Assert.Empty((await A.DatasetAsync(dataset)).GetProperty("datapoints").EnumerateArray());
    }

    [Fact]
    public async Task Unparsable_bodies_and_unstorable_text_are_400()
    {
        (await A.PostJsonAsync("/v1/datasets", "{\"name\": ", HttpStatusCode.BadRequest)).AssertNames("body");
        (await A.PostJsonAsync("/v1/datasets", "[1, 2]", HttpStatusCode.BadRequest)).AssertNames("body");
        (await A.PostJsonAsync("/v1/datasets", "{\"name\": \"a\", \"name\": \"b\"}", HttpStatusCode.BadRequest)).AssertNames("body");
        (await A.PostJsonAsync("/v1/datapoints", "{\"inputs\": {\"nul\": \"a\\u0000b\"}}", HttpStatusCode.BadRequest)).AssertNames("body");
    }

    [Fact]
    public async Task Requests_without_a_key_are_refused()
    {
        using var anonymous = Fixture.Client(key: null);
        using var response = await anonymous.GetAsync("/v1/datasets");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var legacy = await anonymous.PostAsync("/datapoints", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, legacy.StatusCode);
    }
}
