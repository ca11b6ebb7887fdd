using System.Text.Json.Nodes;

// Not "...Tests.Sdk": that namespace would hide OpenTelemetry's Sdk class from the other tests.
namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>
/// The official HoneyHive TypeScript SDK (npm `honeyhive` 1.0.42) creating, listing, updating and
/// deleting metrics and configurations against the single-node Host, only serverURL changed.
/// Its lists are parsed by Zod, so a response shape it does not accept fails the script.
/// </summary>
public sealed class MetricConfigurationSdkTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task Metric_and_configuration_operations_round_trip_through_the_sdk()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];

        var result = JsonNode.Parse(await NodeScript.RunAsync("metrics-configurations.mjs", host.DataPlaneApi.ToString().TrimEnd('/'), host.ApiKey, marker))!.AsObject();

        Assert.Equal(marker, result["marker"]!.GetValue<string>());
        var metric = result["createdMetric"]!;
        Assert.Equal("custom", metric["type"]!.GetValue<string>());
        Assert.Equal("boolean", metric["returnType"]!.GetValue<string>());
        Assert.StartsWith("def metric(event):", metric["codeSnippet"]!.GetValue<string>());
        Assert.True(metric["passWhen"]!.GetValue<bool>());
        Assert.Equal("answer", metric["eventName"]!.GetValue<string>());
        var judge = result["createdJudge"]!;
        Assert.Equal("model", judge["type"]!.GetValue<string>());
        Assert.Equal("gpt-4o", judge["modelName"]!.GetValue<string>());
        Assert.Equal(3, judge["threshold"]!["min"]!.GetValue<double>());

        var updated = result["updatedMetric"]!;
        Assert.Equal("length check v2", updated["description"]!.GetValue<string>());
        Assert.True(updated["enabledInProd"]!.GetValue<bool>());
        Assert.Equal(metric["codeSnippet"]!.GetValue<string>(), updated["codeSnippet"]!.GetValue<string>());
        Assert.Equal([$"sdk-metric-{marker}"], result["metricsAfterDelete"]!.AsArray().Select(n => n!.GetValue<string>()));

        var configuration = result["createdConfiguration"]!;
        Assert.Equal("openai", configuration["provider"]!.GetValue<string>());
        Assert.Equal("chat", configuration["parameters"]!["callType"]!.GetValue<string>());
        Assert.Equal(0.1, configuration["parameters"]!["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal(marker, configuration["userProperties"]!["marker"]!.GetValue<string>());
        Assert.Equal("You answer briefly.", configuration["parameters"]!["additionalProperties"]!["template"]![0]!["content"]!.GetValue<string>());
        var prod = Assert.Single(result["prodConfigurations"]!.AsArray());
        Assert.Equal("anthropic", prod!["provider"]!.GetValue<string>());
        Assert.Equal("claude-3-5-sonnet", prod["parameters"]!["model"]!.GetValue<string>());
        Assert.Equal(0, result["configurationsAfterDelete"]!.GetValue<int>());
    }
}
