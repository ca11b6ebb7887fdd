using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

[Collection(LlmProxyCollection.Name)]
public sealed class BedrockStreamTests(LlmProxyFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient a = fixture.Client("key-a");
    private static FakeBedrockRuntime Bedrock => FakeBedrockRuntime.Shared;

    public Task InitializeAsync() => BedrockSecrets.StoreAsync(fixture);

    public Task DisposeAsync() => Task.CompletedTask;

    private static object Request(string model, string text = "one two three") => new
    {
        model = "bedrock/" + model,
        stream = true,
        stream_options = new { include_usage = true },
        messages = new[] { new { role = "user", content = text } },
    };

    [Fact]
    public async Task A_converse_stream_becomes_openai_chunks_that_end_with_the_usage_chunk()
    {
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", Request("stream-text")));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.ToString());
        Assert.Equal("echo: one two three", string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())));
        Assert.Equal("stop", chunks[^2]["choices"]![0]!["finish_reason"]!.ToString());
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(17, chunks[^1]["usage"]!["total_tokens"]!.GetValue<int>());

        var sent = Assert.Single(Bedrock.RequestsFor("stream-text"));
        Assert.Equal("converse-stream", sent.Operation);
        Assert.Equal("application/vnd.amazon.eventstream", sent.Headers["accept"]);
        Assert.True(sent.Signature.Valid, sent.Signature.Message);
    }

    [Fact]
    public async Task A_streamed_tool_use_arrives_as_a_tool_call_with_its_argument_pieces()
    {
        Bedrock.Script("stream-tool", FakeBedrockRuntime.Stream(
            EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 0, ["delta"] = new JsonObject { ["text"] = "Checking." } }),
            EventStreamFrames.Event("contentBlockStop", new JsonObject { ["contentBlockIndex"] = 0 }),
            EventStreamFrames.Event("contentBlockStart", new JsonObject
            {
                ["contentBlockIndex"] = 1,
                ["start"] = new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = "tooluse_1", ["name"] = "get_weather" } },
            }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 1, ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = "{\"city\":" } } }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 1, ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = "\"Oslo\"}" } } }),
            EventStreamFrames.Event("contentBlockStop", new JsonObject { ["contentBlockIndex"] = 1 }),
            EventStreamFrames.Event("messageStop", new JsonObject { ["stopReason"] = "tool_use" }),
            FakeBedrockRuntime.Metadata(30, 9)));
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "bedrock/stream-tool",
            stream = true,
            stream_options = new { include_usage = true },
            tools = new[] { new { type = "function", function = new { name = "get_weather", parameters = new { type = "object" } } } },
            messages = new[] { new { role = "user", content = "Weather in Oslo?" } },
        }));

        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        var calls = chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]?["tool_calls"]?[0]).OfType<JsonNode>().ToList();
        Assert.Equal(3, calls.Count); // the start (id and name), then one chunk per input piece
        Assert.Equal("tooluse_1", calls[0]["id"]!.ToString());
        Assert.Equal("get_weather", calls[0]["function"]!["name"]!.ToString());
        Assert.All(calls, c => Assert.Equal(0, c["index"]!.GetValue<int>()));
        Assert.Equal("{\"city\":\"Oslo\"}", string.Concat(calls.Select(c => c["function"]!["arguments"]!.ToString())));
        Assert.Equal("tool_calls", chunks[^2]["choices"]![0]!["finish_reason"]!.ToString());
        Assert.Equal(39, chunks[^1]["usage"]!["total_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Chunks_reach_the_client_as_frames_arrive_rather_than_after_the_whole_answer()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var frames = FakeBedrockRuntime.TextEvents("first second");
        // The fake holds the rest of the answer until the client has read the first word through the proxy.
        Bedrock.Script("stream-held", (context, _) => FakeBedrockRuntime.StreamAsync(context, frames,
            i => i == 1 ? released.Task.WaitAsync(TimeSpan.FromSeconds(30), context.RequestAborted) : Task.CompletedTask));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Request("stream-held")) };
        using var response = await a.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var seenFirstWord = false;
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            lines.Add(line);
            if (!seenFirstWord && line.Contains("first", StringComparison.Ordinal))
            {
                seenFirstWord = true;
                released.SetResult();
            }
        }

        Assert.True(seenFirstWord);
        Assert.Equal("data: [DONE]", lines[^1]);
        Assert.Contains(lines, l => l.Contains(" second", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_exception_event_mid_stream_ends_the_stream_with_an_openai_error()
    {
        Bedrock.Script("stream-broken", FakeBedrockRuntime.Stream(
            EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 0, ["delta"] = new JsonObject { ["text"] = "partial" } }),
            EventStreamFrames.Exception("modelStreamErrorException", "The model stopped unexpectedly.")));
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", Request("stream-broken")));

        Assert.Contains(events, e => e.Contains("partial", StringComparison.Ordinal));
        var error = JsonNode.Parse(events[^1])!["error"]!;
        Assert.Equal("modelStreamErrorException", error["code"]!.ToString());
        Assert.Contains("The model stopped unexpectedly.", error["message"]!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", events);
    }

    [Fact]
    public async Task A_throttling_exception_event_before_any_chunk_is_retried_and_the_retry_streams()
    {
        Bedrock.Script("stream-throttled", FakeBedrockRuntime.Stream(EventStreamFrames.Exception("throttlingException", "Too many tokens, please wait.")));
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", Request("stream-throttled", "after retry")));

        Assert.Equal("[DONE]", events[^1]);
        Assert.Contains(events, e => e.Contains("retry", StringComparison.Ordinal));
        Assert.Equal(2, Bedrock.RequestsFor("stream-throttled").Count());
    }

    [Fact]
    public async Task A_frame_with_a_bad_crc_is_an_error_and_never_text()
    {
        Bedrock.Script("stream-corrupt", FakeBedrockRuntime.Stream(
            EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 0, ["delta"] = new JsonObject { ["text"] = "good" } }),
            EventStreamFrames.Corrupt(EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 0, ["delta"] = new JsonObject { ["text"] = "garbage" } })),
            FakeBedrockRuntime.Metadata()));
        var response = await a.PostAsJsonAsync("/v1/chat/completions", Request("stream-corrupt"));
        var events = await ChatCompletionsTests.ReadEventsAsync(response);

        Assert.Contains(events, e => e.Contains("good", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Contains("garbage", StringComparison.Ordinal));
        var error = JsonNode.Parse(events[^1])!["error"]!;
        Assert.Contains("CRC", error["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_schema_answer_streams_its_forced_tool_input_as_content_and_stops()
    {
        Bedrock.Script("stream-schema", FakeBedrockRuntime.Stream(
            EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" }),
            EventStreamFrames.Event("contentBlockStart", new JsonObject
            {
                ["contentBlockIndex"] = 0,
                ["start"] = new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = "tooluse_s", ["name"] = "answer" } },
            }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 0, ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = "{\"ok\":" } } }),
            EventStreamFrames.Event("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = 0, ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = "true}" } } }),
            EventStreamFrames.Event("contentBlockStop", new JsonObject { ["contentBlockIndex"] = 0 }),
            EventStreamFrames.Event("messageStop", new JsonObject { ["stopReason"] = "tool_use" }),
            FakeBedrockRuntime.Metadata()));
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "bedrock/stream-schema",
            stream = true,
            response_format = new { type = "json_schema", json_schema = new { name = "answer", schema = new { type = "object" } } },
            messages = new[] { new { role = "user", content = "ok?" } },
        }));

        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.Equal("{\"ok\":true}", string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())));
        Assert.DoesNotContain(chunks, c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["tool_calls"] is not null);
        Assert.Equal("stop", chunks[^1]["choices"]![0]!["finish_reason"]!.ToString());
    }

    [Fact]
    public async Task Json_mode_is_asked_of_the_model_in_the_system_prompt()
    {
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "bedrock/stream-json-mode",
            stream = true,
            response_format = new { type = "json_object" },
            messages = new object[] { new { role = "system", content = "You list fruit." }, new { role = "user", content = "three fruit" } },
        }));

        Assert.Equal("[DONE]", events[^1]);
        var system = Assert.Single(Bedrock.RequestsFor("stream-json-mode")).Body["system"]!.AsArray();
        Assert.Equal(["You list fruit.", HoneyHive.LlmProxy.Providers.Bedrock.ConverseRequest.JsonObjectInstruction], system.Select(b => b!["text"]!.ToString()));
    }
}
