using System.Text.Json.Nodes;

// Not "...Tests.Sdk": that namespace would hide OpenTelemetry's Sdk class from the other tests.
namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>
/// The official SDK's experiment-run operations (tests/sdk/runs.mjs) against the single node: create,
/// update, get, list, result, comparison and delete, each response validated by the SDK's Zod schemas.
/// </summary>
public sealed class RunSdkTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task The_sdk_creates_completes_reads_lists_summarizes_compares_and_deletes_a_run()
    {
        var marker = Guid.NewGuid().ToString();

        var output = await NodeScript.RunAsync("runs.mjs", host.DataPlaneApi.ToString().TrimEnd('/'), host.ApiKey, marker);

        var result = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(marker, result["marker"]!.GetValue<string>());
        var runId = result["createRun"]!["runId"]!.GetValue<string>();
        Assert.True(Guid.TryParse(runId, out _));
        var created = result["createRun"]!["evaluation"]!;
        Assert.Equal($"sdk-run-{marker}", created["name"]!.GetValue<string>());
        Assert.Equal("pending", created["status"]!.GetValue<string>());
        Assert.Equal($"sdk-dataset-{marker}", created["datasetId"]!.GetValue<string>());

        var sessionId = result["sessionId"]!.GetValue<string>();
        var updated = result["updateRun"]!["evaluation"]!;
        Assert.Equal("completed", updated["status"]!.GetValue<string>());
        Assert.Equal(sessionId, updated["event_ids"]![0]!.GetValue<string>());

        var read = result["getRun"]!["evaluation"]!;
        Assert.Equal(runId, read["runId"]!.GetValue<string>());
        Assert.Equal("completed", read["status"]!.GetValue<string>());
        Assert.Equal(marker, read["metadata"]!["marker"]!.GetValue<string>());
        Assert.True(read["metadata"]!["done"]!.GetValue<bool>());
        Assert.Contains(result["getRuns"]!["evaluations"]!.AsArray(), r => r!["runId"]!.GetValue<string>() == runId);

        var summary = result["getExperimentResult"]!;
        var accuracy = summary["metrics"]!["details"]!.AsArray().Single(d => d!["metricName"]!.GetValue<string>() == "accuracy")!;
        Assert.Equal(0.75, accuracy["aggregate"]!.GetValue<double>());
        Assert.Equal("dp-sdk-1", summary["datapoints"]![0]!["datapointId"]!.GetValue<string>());
        Assert.Equal(sessionId, summary["datapoints"]![0]!["sessionId"]!.GetValue<string>());

        var comparison = result["getExperimentComparison"]!;
        Assert.Equal(runId, comparison["newRun"]!["runId"]!.GetValue<string>());
        var compared = comparison["metrics"]!.AsArray().Single(m => m!["metricName"]!.GetValue<string>() == "accuracy")!;
        Assert.Equal(0.75, compared["newAggregate"]!.GetValue<double>());
        Assert.Null(compared["oldAggregate"]);

        Assert.True(result["deleteRun"]!["deleted"]!.GetValue<bool>());
        Assert.Equal(runId, result["deleteRun"]!["id"]!.GetValue<string>());
        Assert.Equal(404, result["getAfterDelete"]!["statusCode"]!.GetValue<int>());
    }
}
