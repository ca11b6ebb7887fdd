using System.Diagnostics;
using System.Text.Json.Nodes;

// Not "...Tests.Sdk": that namespace would hide OpenTelemetry's Sdk class from the other tests.
namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>
/// The official HoneyHive TypeScript SDK (npm `honeyhive` 1.0.42, tests/sdk) against the single node,
/// with only serverURL changed. It validates every response with Zod, so a shape mismatch fails here.
/// </summary>
public sealed class OfficialSdkTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task Session_start_and_event_create_and_batch_calls_succeed_and_reach_the_stream()
    {
        var started = DateTime.UtcNow.AddSeconds(-5);
        var marker = Guid.NewGuid().ToString();

        var output = await NodeScript.RunAsync("session-and-events.mjs", host.DataPlaneApi.ToString().TrimEnd('/'), host.ApiKey, marker);

        var result = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(marker, result["marker"]!.GetValue<string>());
        var sessionId = result["startSession"]!["sessionId"]!.GetValue<string>();
        Assert.True(Guid.TryParse(sessionId, out _));
        Assert.True(result["createEvent"]!["success"]!.GetValue<bool>());
        var toolId = result["createEvent"]!["eventId"]!.GetValue<string>();
        var modelId = result["createModelEvent"]!["eventId"]!.GetValue<string>();
        Assert.True(result["createModelEvent"]!["success"]!.GetValue<bool>());
        Assert.True(result["updateEvent"]?["success"]?.GetValue<bool>() == true, output);
        var batch = result["createEventBatch"]!;
        Assert.True(batch["success"]!.GetValue<bool>());
        var batchIds = batch["eventIds"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(2, batchIds.Count);
        var batchSession = batch["sessionId"]!.GetValue<string>();
        var modelBatchIds = result["createModelEventBatch"]!["eventIds"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Single(modelBatchIds);

        var ids = new HashSet<string>([sessionId, toolId, modelId, batchSession, .. batchIds, .. modelBatchIds]);
        var published = (await PublishedEvents.WaitForAsync(host.NatsUrl, e => ids.Contains(e["event_id"]!.GetValue<string>()), ids.Count, started))
            .ToDictionary(p => p.Event["event_id"]!.GetValue<string>(), p => p.Event);

        Assert.Equal(ids.Count, published.Count);
        var session = published[sessionId];
        Assert.Equal("session", session["event_type"]!.GetValue<string>());
        Assert.Equal("sdk-session", session["event_name"]!.GetValue<string>());
        Assert.Equal(marker, session["metadata"]!["marker"]!.GetValue<string>());
        Assert.Equal("sdk-user", session["user_properties"]!["user"]!.GetValue<string>());
        Assert.Equal(host.ProjectId, session["project_id"]!.GetValue<string>());
        var tool = published[toolId];
        Assert.Equal(sessionId, tool["session_id"]!.GetValue<string>());
        Assert.Equal(sessionId, tool["parent_id"]!.GetValue<string>());
        Assert.Equal("retrieve", tool["event_name"]!.GetValue<string>());
        Assert.Equal(12, tool["duration"]!.GetValue<double>());
        var model = published[modelId];
        Assert.Equal("model", model["event_type"]!.GetValue<string>());
        Assert.Equal("gpt-4o", model["config"]!["model"]!.GetValue<string>());
        Assert.Equal("France", model["inputs"]!["country"]!.GetValue<string>());
        Assert.Equal("Paris", model["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal(15, model["metadata"]!["total_tokens"]!.GetValue<double>());
        Assert.Equal("sdk-batch-session", published[batchSession]["event_name"]!.GetValue<string>());
        Assert.All(batchIds, id => Assert.Equal(batchSession, published[id]["session_id"]!.GetValue<string>()));
        Assert.Equal("anthropic", published[modelBatchIds[0]]["config"]!["provider"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_session_without_v1_passes_the_sdks_event_schema_and_unknown_sessions_are_404()
    {
        var marker = Guid.NewGuid().ToString();

        var output = await NodeScript.RunAsync("get-session.mjs", host.DataPlaneApi.ToString().TrimEnd('/'), host.ApiKey, marker);

        var result = JsonNode.Parse(output)!.AsObject();
        var session = result["getSession"]!;
        Assert.Equal("session", session["eventType"]!.GetValue<string>());
        Assert.Equal("sdk-get-session", session["eventName"]!.GetValue<string>());
        Assert.Equal(session["eventId"]!.GetValue<string>(), session["sessionId"]!.GetValue<string>());
        Assert.Equal(host.ProjectId, session["projectId"]!.GetValue<string>());
        Assert.Equal(marker, session["metadata"]!["marker"]!.GetValue<string>());
        Assert.Equal(1, session["metadata"]!["num_events"]!.GetValue<int>());
        Assert.Equal(404, result["unknown"]!["statusCode"]!.GetValue<int>());
    }
}
