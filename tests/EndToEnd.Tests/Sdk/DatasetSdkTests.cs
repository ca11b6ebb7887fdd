using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>
/// The official SDK's dataset and datapoint operations (tests/sdk/datasets.mjs) against the single
/// node with only serverURL changed: create, list, update, add datapoints with a mapping, delete.
/// Every response passes the SDK's Zod schemas or the script fails; the server's state is then
/// checked through the /v1 API.
/// </summary>
public sealed class DatasetSdkTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task Dataset_and_datapoint_operations_of_the_sdk_succeed_and_change_the_server_state()
    {
        var marker = Guid.NewGuid().ToString();
        var output = await NodeScript.RunAsync("datasets.mjs", host.DataPlaneApi.ToString().TrimEnd('/'), host.ApiKey, marker);

        var result = JsonNode.Parse(output)!.AsObject();
        var name = $"sdk-dataset-{marker}";
        Assert.True(result["createDataset"]!["inserted"]!.GetValue<bool>());
        var datasetId = result["createDataset"]!["result"]!["insertedId"]!.GetValue<string>();
        Assert.Equal(datasetId, result["datasetId"]!.GetValue<string>());

        var created = Assert.Single(result["listCreated"]!["testcases"]!.AsArray())!;
        Assert.Equal(name, created["name"]!.GetValue<string>());
        Assert.Equal("made by the official SDK", created["description"]!.GetValue<string>());
        Assert.Equal("evaluation", created["type"]!.GetValue<string>());
        Assert.Equal("event", created["pipelineType"]!.GetValue<string>());
        Assert.Equal(0, created["numPoints"]!.GetValue<int>());

        var datapointId = result["createDatapoint"]!["result"]!["insertedId"]!.GetValue<string>();
        Assert.True(result["addDatapoints"]!["inserted"]!.GetValue<bool>());
        var added = result["addDatapoints"]!["datapointIds"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(2, added.Count);

        // The SDK maps _id to id and snake_case to camelCase.
        var listed = result["listByDataset"]!["datapoints"]!.AsArray().Select(n => n!).ToList();
        Assert.Equal([datapointId, .. added], listed.Select(p => p["id"]!.GetValue<string>()));
        Assert.Equal("Paris", listed[0]["groundTruth"]!["answer"]!.GetValue<string>());
        Assert.Equal("user", listed[0]["history"]![0]!["role"]!.GetValue<string>());
        Assert.Equal("2+2?", listed[1]["inputs"]!["q"]!.GetValue<string>());
        Assert.Equal("4", listed[1]["groundTruth"]!["a"]!.GetValue<string>());
        Assert.Equal("kept as metadata", listed[1]["metadata"]!["note"]!.GetValue<string>());
        Assert.All(listed, p => Assert.Equal([datasetId], p["linkedDatasets"]!.AsArray().Select(d => d!.GetValue<string>())));
        Assert.All(listed, p => Assert.Equal(host.ProjectId, p["projectId"]!.GetValue<string>()));

        var updated = Assert.Single(result["updatedDatapoint"]!["datapoint"]!.AsArray())!;
        Assert.Equal("What is the capital of Italy?", updated["inputs"]!["question"]!.GetValue<string>());
        Assert.Equal("Rome", updated["groundTruth"]!["answer"]!.GetValue<string>());
        Assert.Equal(marker, updated["metadata"]!["marker"]!.GetValue<string>());

        var renamed = Assert.Single(result["listUpdated"]!["testcases"]!.AsArray())!;
        Assert.Equal($"{name}-renamed", renamed["name"]!.GetValue<string>());
        Assert.Equal("renamed by the SDK", renamed["description"]!.GetValue<string>());
        Assert.Equal([datapointId, .. added], renamed["datapoints"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(3, renamed["numPoints"]!.GetValue<int>());

        Assert.Equal(added.Order(), result["listByIds"]!["datapoints"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()).Order());
        Assert.True(result["deleteDatapoint"]!["deleted"]!.GetValue<bool>());
        Assert.Empty(result["listDeleted"]!["testcases"]!.AsArray());

        // The server agrees: the deleted datapoint is gone, the dataset too, the added datapoints stay unlinked.
        using var client = host.Client(host.DataPlaneApi, host.ApiKey);
        using (var gone = await client.GetAsync(new Uri($"/v1/datapoints/{datapointId}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var datasets = await client.GetFromJsonAsync<JsonObject>(new Uri($"/v1/datasets?dataset_id={datasetId}", UriKind.Relative));
        Assert.Empty(datasets!["datasets"]!.AsArray());
        var remaining = await client.GetFromJsonAsync<JsonObject>(
            new Uri($"/v1/datapoints?datapoint_ids={added[0]}&datapoint_ids={added[1]}", UriKind.Relative));
        var points = remaining!["datapoints"]!.AsArray();
        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.Empty(p!["linked_datasets"]!.AsArray()));
    }
}
