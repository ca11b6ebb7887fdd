using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static HoneyHive.DataPlane.Tests.LlmProxy.Providers.FakeAnthropicUpstream;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Providers;

/// <summary>The proxy's OpenAI routes in front of Anthropic's Messages API (the fake checks every request it receives).</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class AnthropicTests(LlmProxyFixture fixture) : IAsyncLifetime
{
    // Workspace D: A's workspace must stay without an anthropic key (ChatCompletionsTests checks that refusal).
    private readonly HttpClient d = fixture.Client("key-d");

    public async Task InitializeAsync() => await fixture.SecretStore.PutAsync(Tenants.D.WorkspaceId, "anthropic", ApiKey, CancellationToken.None);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_completion_is_sent_as_an_anthropic_message_and_answered_in_openai_shape()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "anthropic/claude-plain",
            messages = new object[]
            {
                new { role = "system", content = "Be brief." },
                new { role = "user", content = "first" },
                new { role = "user", content = "hello there" },
            },
            temperature = 0.3,
            top_p = 0.9,
            stop = "END",
        });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", body["object"]!.ToString());
        Assert.Equal("echo: hello there", body["choices"]![0]!["message"]!["content"]!.ToString());
        Assert.Equal("stop", body["choices"]![0]!["finish_reason"]!.ToString());
        Assert.Equal(25, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(12, body["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(37, body["usage"]!["total_tokens"]!.GetValue<int>());
        var sent = Assert.Single(fixture.Anthropic.RequestsFor("claude-plain"));
        Assert.Equal("Be brief.", sent.Body["system"]![0]!["text"]!.ToString());
        var turn = Assert.Single(sent.Body["messages"]!.AsArray()); // the two user messages merged into one turn
        Assert.Equal(["first", "hello there"], turn!["content"]!.AsArray().Select(b => b!["text"]!.ToString()));
        Assert.Equal(4096, sent.Body["max_tokens"]!.GetValue<int>());
        Assert.Equal(["END"], sent.Body["stop_sequences"]!.AsArray().Select(s => s!.ToString()));
        Assert.Equal(0.3, sent.Body["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, sent.Body["top_p"]!.GetValue<double>());
    }

    [Fact]
    public async Task Max_completion_tokens_becomes_max_tokens()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "anthropic/claude-max", max_completion_tokens = 100, messages = new[] { new { role = "user", content = "x" } },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(100, Assert.Single(fixture.Anthropic.RequestsFor("claude-max")).Body["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_stream_is_translated_into_openai_chunks_ending_with_the_usage_chunk()
    {
        var events = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "anthropic/claude-stream", stream = true, stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "one two three" } },
        }));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.ToString()));
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.ToString());
        Assert.Equal("echo: one two three", string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())));
        Assert.Equal("stop", chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["finish_reason"]?.ToString()).Last(f => f is not null));
        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(25, usage["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(15, usage["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.True(Assert.Single(fixture.Anthropic.RequestsFor("claude-stream")).Body["stream"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Tools_and_tool_results_are_sent_as_tool_use_and_tool_result_blocks_and_a_tool_use_answer_is_a_tool_call()
    {
        fixture.Anthropic.Script("claude-tools", Answer(Message("claude-tools",
            [Text("Let me look."), ToolUse("toolu_02", "get_weather", new JsonObject { ["city"] = "Oslo" })], "tool_use")));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", JsonNode.Parse("""
            {
              "model": "anthropic/claude-tools",
              "messages": [
                {"role": "user", "content": "Weather in Paris, then Oslo?"},
                {"role": "assistant", "content": "", "tool_calls": [
                  {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "toolu_01", "content": "18C, sunny"}
              ],
              "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
              "tool_choice": "required"
            }
            """));
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = body["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.ToString());
        Assert.Equal("Let me look.", choice["message"]!["content"]!.ToString());
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("toolu_02", call["id"]!.ToString());
        Assert.Equal("get_weather", call["function"]!["name"]!.ToString());
        Assert.Equal("Oslo", JsonNode.Parse(call["function"]!["arguments"]!.ToString())!["city"]!.ToString());

        var sent = Assert.Single(fixture.Anthropic.RequestsFor("claude-tools")).Body;
        var messages = sent["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m!["role"]!.ToString()));
        var toolUse = Assert.Single(messages[1]!["content"]!.AsArray())!; // the empty text is not sent
        Assert.Equal("tool_use", toolUse["type"]!.ToString());
        Assert.Equal("Paris", toolUse["input"]!["city"]!.ToString());
        var result = Assert.Single(messages[2]!["content"]!.AsArray())!;
        Assert.Equal("tool_result", result["type"]!.ToString());
        Assert.Equal("toolu_01", result["tool_use_id"]!.ToString());
        Assert.Equal("18C, sunny", result["content"]!.ToString());
        var tool = Assert.Single(sent["tools"]!.AsArray())!;
        Assert.Equal("get_weather", tool["name"]!.ToString());
        Assert.Equal("Weather now", tool["description"]!.ToString());
        Assert.Equal("string", tool["input_schema"]!["properties"]!["city"]!["type"]!.ToString());
        Assert.Equal("any", sent["tool_choice"]!["type"]!.ToString());
    }

    [Fact]
    public async Task A_streamed_tool_call_arrives_as_input_json_delta_pieces_joined_into_its_arguments()
    {
        var events = new List<JsonObject>
        {
            MessageStart("claude-stream-tool"),
            new() { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = ToolUse("toolu_03", "get_weather", []) },
            Delta(0, """{"ci"""),
            Delta(0, """ty": "Ber"""),
            Delta(0, """lin"}"""),
            new() { ["type"] = "content_block_stop", ["index"] = 0 },
        };
        events.AddRange(End("tool_use", 20));
        fixture.Anthropic.Script("claude-stream-tool", Stream(events));

        var received = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "anthropic/claude-stream-tool", stream = true,
            messages = new[] { new { role = "user", content = "Weather in Berlin?" } },
            tools = new[] { new { type = "function", function = new { name = "get_weather", parameters = new { type = "object" } } } },
        }));

        var calls = received[..^1].Select(e => JsonNode.Parse(e)!)
            .SelectMany(c => c["choices"]!.AsArray().SelectMany(ch => ch?["delta"]?["tool_calls"]?.AsArray() ?? [])).ToList();
        Assert.Equal("toolu_03", calls[0]!["id"]!.ToString());
        Assert.Equal("get_weather", calls[0]!["function"]!["name"]!.ToString());
        Assert.All(calls, c => Assert.Equal(0, c!["index"]!.GetValue<int>()));
        Assert.Equal(4, calls.Count); // the start, then the three pieces as they came
        Assert.Equal("Berlin", JsonNode.Parse(string.Concat(calls.Select(c => c!["function"]!["arguments"]!.ToString())))!["city"]!.ToString());
        Assert.Contains(received[..^1], e => JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["finish_reason"]?.ToString() == "tool_calls");
    }

    [Fact]
    public async Task Images_become_base64_and_url_sources()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", JsonNode.Parse("""
            {
              "model": "anthropic/claude-vision",
              "messages": [{"role": "user", "content": [
                {"type": "text", "text": "What is in these?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}}
              ]}]
            }
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var blocks = Assert.Single(fixture.Anthropic.RequestsFor("claude-vision")).Body["messages"]![0]!["content"]!.AsArray();
        Assert.Equal("base64", blocks[1]!["source"]!["type"]!.ToString());
        Assert.Equal("image/png", blocks[1]!["source"]!["media_type"]!.ToString());
        Assert.Equal("iVBORw0KGgo=", blocks[1]!["source"]!["data"]!.ToString());
        Assert.Equal("url", blocks[2]!["source"]!["type"]!.ToString());
        Assert.Equal("https://example.com/cat.jpg", blocks[2]!["source"]!["url"]!.ToString());
    }

    [Fact]
    public async Task A_json_schema_response_format_is_answered_by_a_forced_tool_whose_input_becomes_the_content()
    {
        fixture.Anthropic.Script("claude-json", Answer(Message("claude-json",
            [ToolUse("toolu_04", "person", new JsonObject { ["name"] = "Ada", ["born"] = 1815 })], "tool_use")));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", JsonNode.Parse("""
            {
              "model": "anthropic/claude-json",
              "messages": [{"role": "user", "content": "Who wrote the first program?"}],
              "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema":
                {"type": "object", "properties": {"name": {"type": "string"}, "born": {"type": "integer"}}, "required": ["name", "born"], "additionalProperties": false}}}
            }
            """));
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = body["choices"]![0]!;
        Assert.Equal("stop", choice["finish_reason"]!.ToString());
        Assert.Null(choice["message"]!["tool_calls"]);
        var answer = JsonNode.Parse(choice["message"]!["content"]!.ToString())!;
        Assert.Equal("Ada", answer["name"]!.ToString());
        Assert.Equal(1815, answer["born"]!.GetValue<int>());
        var sent = Assert.Single(fixture.Anthropic.RequestsFor("claude-json")).Body;
        Assert.Equal("person", sent["tool_choice"]!["name"]!.ToString());
        Assert.Equal("tool", sent["tool_choice"]!["type"]!.ToString());
        Assert.Equal(["name", "born"], Assert.Single(sent["tools"]!.AsArray())!["input_schema"]!["required"]!.AsArray().Select(r => r!.ToString()));
    }

    [Fact]
    public async Task A_streamed_json_object_answer_arrives_as_content_not_as_a_tool_call()
    {
        var events = new List<JsonObject>
        {
            MessageStart("claude-json-stream"),
            new() { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = ToolUse("toolu_05", "json_answer", []) },
            Delta(0, """{"ok":"""),
            Delta(0, " true}"),
            new() { ["type"] = "content_block_stop", ["index"] = 0 },
        };
        events.AddRange(End("tool_use", 6));
        fixture.Anthropic.Script("claude-json-stream", Stream(events));

        var received = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "anthropic/claude-json-stream", stream = true, response_format = new { type = "json_object" },
            messages = new[] { new { role = "user", content = "Answer in JSON" } },
        }));

        var chunks = received[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.DoesNotContain(chunks, c => c["choices"]!.AsArray().Any(ch => ch?["delta"]?["tool_calls"] is not null));
        Assert.True(JsonNode.Parse(string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())))!["ok"]!.GetValue<bool>());
        Assert.Equal("stop", chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["finish_reason"]?.ToString()).Last(f => f is not null));
        var sent = Assert.Single(fixture.Anthropic.RequestsFor("claude-json-stream")).Body;
        Assert.Equal("json_answer", sent["tool_choice"]!["name"]!.ToString());
        Assert.Equal("object", Assert.Single(sent["tools"]!.AsArray())!["input_schema"]!["type"]!.ToString());
    }

    [Theory]
    [InlineData(401, "authentication_error", 401, "authentication_error", 1)]
    [InlineData(400, "invalid_request_error", 400, "invalid_request_error", 1)]
    [InlineData(529, "overloaded_error", 503, "api_error", 3)] // retried (MaxRetries 2), then answered as overloaded
    public async Task A_provider_error_comes_back_in_openai_shape_with_the_mapped_status(int status, string type, int expected, string expectedType, int attempts)
    {
        var model = $"claude-error-{status}";
        fixture.Anthropic.Script(model, Enumerable.Repeat(Error(status, type, $"refused with {status}"), 3).ToArray());
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "anthropic/" + model, messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal(expectedType, error["type"]!.ToString());
        Assert.Contains($"refused with {status}", error["message"]!.ToString());
        Assert.Equal(attempts, fixture.Anthropic.RequestsFor(model).Count);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried_and_then_answered()
    {
        fixture.Anthropic.Script("claude-429", Error(429, "rate_limit_error", "slow down", retryAfterSeconds: 1));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "anthropic/claude-429", messages = new[] { new { role = "user", content = "again" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, fixture.Anthropic.RequestsFor("claude-429").Count);
    }

    [Fact]
    public async Task An_error_event_mid_stream_ends_the_stream_with_an_openai_error()
    {
        var events = TextEvents("claude-midway", ["partial"]).Take(4).ToList(); // message_start, block start, ping, one delta
        events.Add(new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "overloaded_error", ["message"] = "Overloaded" } });
        fixture.Anthropic.Script("claude-midway", Stream(events));

        var received = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "anthropic/claude-midway", stream = true, messages = new[] { new { role = "user", content = "x" } },
        }));

        Assert.Contains(received, e => e.Contains("partial", StringComparison.Ordinal));
        var error = JsonNode.Parse(received[^1])!["error"]!;
        Assert.Contains("Overloaded", error["message"]!.ToString());
        Assert.Equal("api_error", error["type"]!.ToString());
        Assert.Single(fixture.Anthropic.RequestsFor("claude-midway")); // part of an answer was sent: no retry
    }

    [Fact]
    public async Task More_than_one_choice_is_refused_with_400_naming_n_before_anthropic_is_called()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "anthropic/claude-n", n = 2, messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("n", error["param"]!.ToString());
        Assert.Empty(fixture.Anthropic.RequestsFor("claude-n"));
    }

    [Fact]
    public async Task Embeddings_are_refused_because_anthropic_has_none()
    {
        var response = await d.PostAsJsonAsync("/v1/embeddings", new { model = "anthropic/claude-embed", input = "x" });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("anthropic has no embeddings API", error["message"]!.ToString());
    }

    private static JsonObject Delta(int index, string partialJson) => new()
    {
        ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = partialJson },
    };
}
