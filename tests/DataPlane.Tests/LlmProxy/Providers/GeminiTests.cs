using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static HoneyHive.DataPlane.Tests.LlmProxy.Providers.FakeGoogleUpstream;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Providers;

/// <summary>The proxy's OpenAI routes in front of Gemini on AI Studio (the fake checks every request it receives).</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class GeminiTests(LlmProxyFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient d = fixture.Client("key-d");

    public async Task InitializeAsync() => await fixture.SecretStore.PutAsync(Tenants.D.WorkspaceId, "gemini", ApiKey, CancellationToken.None);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_completion_is_sent_as_generate_content_and_each_candidate_is_a_choice()
    {
        fixture.Google.Script("gemini-plain", Answer(Response("gemini-plain-001",
            [Candidate(0, [TextPart("Bonjour")], "STOP"), Candidate(1, [TextPart("Salut")], "MAX_TOKENS")], Usage(12, 6))));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gemini/gemini-plain",
            messages = new object[]
            {
                new { role = "system", content = "Answer in French." },
                new { role = "user", content = "Say hello" },
                new { role = "assistant", content = "Bonjour?" },
                new { role = "user", content = "Again" },
            },
            temperature = 0.5,
            top_p = 0.8,
            max_tokens = 64,
            stop = new[] { "END", "STOP" },
            n = 2,
            seed = 42,
        });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choices = body["choices"]!.AsArray();
        Assert.Equal(["Bonjour", "Salut"], choices.Select(c => c!["message"]!["content"]!.ToString()));
        Assert.Equal(["stop", "length"], choices.Select(c => c!["finish_reason"]!.ToString()));
        Assert.Equal(12, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(6, body["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(18, body["usage"]!["total_tokens"]!.GetValue<int>());

        var sent = Assert.Single(fixture.Google.RequestsFor("gemini-plain"));
        Assert.Equal("/v1beta/models/gemini-plain:generateContent", sent.Path);
        Assert.Equal(ApiKey, sent.Headers["x-goog-api-key"]);
        Assert.Equal("Answer in French.", sent.Body["systemInstruction"]!["parts"]![0]!["text"]!.ToString());
        Assert.Equal(["user", "model", "user"], sent.Body["contents"]!.AsArray().Select(c => c!["role"]!.ToString()));
        var config = sent.Body["generationConfig"]!;
        Assert.Equal(0.5, config["temperature"]!.GetValue<double>());
        Assert.Equal(0.8, config["topP"]!.GetValue<double>());
        Assert.Equal(64, config["maxOutputTokens"]!.GetValue<int>());
        Assert.Equal(["END", "STOP"], config["stopSequences"]!.AsArray().Select(s => s!.ToString()));
        Assert.Equal(2, config["candidateCount"]!.GetValue<int>());
        Assert.Equal(42, config["seed"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_stream_is_translated_into_openai_chunks_ending_with_the_usage_chunk()
    {
        var events = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gemini/gemini-stream", stream = true, stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "one two three" } },
        }));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.ToString());
        Assert.Equal("echo: one two three", string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())));
        Assert.Equal("stop", chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["finish_reason"]?.ToString()).Last(f => f is not null));
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(9, chunks[^1]["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(4, chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal("/v1beta/models/gemini-stream:streamGenerateContent?alt=sse", Assert.Single(fixture.Google.RequestsFor("gemini-stream")).Path);
    }

    [Fact]
    public async Task Tools_and_tool_results_are_sent_as_function_declarations_calls_and_responses_and_a_function_call_is_a_tool_call()
    {
        fixture.Google.Script("gemini-tools", Answer(Response("gemini-tools",
            [Candidate(0, [FunctionCall("get_weather", new JsonObject { ["city"] = "Oslo" })], "STOP")], Usage(30, 5))));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", JsonNode.Parse("""
            {
              "model": "gemini/gemini-tools",
              "messages": [
                {"role": "user", "content": "Weather in Paris, then Oslo?"},
                {"role": "assistant", "content": null, "tool_calls": [
                  {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "{\"temperature\": 18}"}
              ],
              "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}}}],
              "tool_choice": {"type": "function", "function": {"name": "get_weather"}}
            }
            """));
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = body["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.ToString());
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("get_weather", call["function"]!["name"]!.ToString());
        Assert.Equal("Oslo", JsonNode.Parse(call["function"]!["arguments"]!.ToString())!["city"]!.ToString());
        Assert.False(string.IsNullOrEmpty(call["id"]!.ToString()));

        var sent = Assert.Single(fixture.Google.RequestsFor("gemini-tools")).Body;
        var contents = sent["contents"]!.AsArray();
        Assert.Equal(["user", "model", "user"], contents.Select(c => c!["role"]!.ToString()));
        Assert.Equal("Paris", contents[1]!["parts"]![0]!["functionCall"]!["args"]!["city"]!.ToString());
        var result = contents[2]!["parts"]![0]!["functionResponse"]!;
        Assert.Equal("get_weather", result["name"]!.ToString()); // named from the call the tool message answers
        Assert.Equal(18, result["response"]!["temperature"]!.GetValue<int>());
        var declaration = Assert.Single(sent["tools"]![0]!["functionDeclarations"]!.AsArray())!;
        Assert.Equal("Weather now", declaration["description"]!.ToString());
        Assert.Null(declaration["parameters"]!["additionalProperties"]);
        Assert.Equal("ANY", sent["toolConfig"]!["functionCallingConfig"]!["mode"]!.ToString());
        Assert.Equal("get_weather", sent["toolConfig"]!["functionCallingConfig"]!["allowedFunctionNames"]![0]!.ToString());
    }

    [Fact]
    public async Task A_streamed_function_call_arrives_as_a_tool_call_chunk_with_finish_reason_tool_calls()
    {
        fixture.Google.Script("gemini-stream-tool", Stream(
        [
            Response("gemini-stream-tool", [Candidate(0, [FunctionCall("get_weather", new JsonObject { ["city"] = "Berlin" })], null)], Usage(20, null)),
            Response("gemini-stream-tool", [Candidate(0, [TextPart("")], "STOP")], Usage(20, 7)),
        ]));
        var events = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gemini/gemini-stream-tool", stream = true, stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "Weather in Berlin?" } },
            tools = new[] { new { type = "function", function = new { name = "get_weather", parameters = new { type = "object", properties = new { city = new { type = "string" } } } } } },
        }));

        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var call = Assert.Single(chunks.SelectMany(c => c["choices"]!.AsArray().SelectMany(ch => ch?["delta"]?["tool_calls"]?.AsArray() ?? [])))!;
        Assert.Equal(0, call["index"]!.GetValue<int>());
        Assert.Equal("get_weather", call["function"]!["name"]!.ToString());
        Assert.Equal("Berlin", JsonNode.Parse(call["function"]!["arguments"]!.ToString())!["city"]!.ToString());
        Assert.Equal("tool_calls", chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["finish_reason"]?.ToString()).Last(f => f is not null));
        Assert.Equal(7, chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Images_become_inline_data_and_file_data_parts()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", JsonNode.Parse("""
            {
              "model": "gemini/gemini-vision",
              "messages": [{"role": "user", "content": [
                {"type": "text", "text": "What is in these?"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
              ]}]
            }
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var parts = Assert.Single(fixture.Google.RequestsFor("gemini-vision")).Body["contents"]![0]!["parts"]!.AsArray();
        Assert.Equal("image/jpeg", parts[1]!["inlineData"]!["mimeType"]!.ToString());
        Assert.Equal("/9j/4AAQSkZJRg==", parts[1]!["inlineData"]!["data"]!.ToString());
        Assert.Equal("https://example.com/cat.png", parts[2]!["fileData"]!["fileUri"]!.ToString());
        Assert.Equal("image/png", parts[2]!["fileData"]!["mimeType"]!.ToString());
    }

    [Fact]
    public async Task A_json_schema_response_format_becomes_a_json_mime_type_with_a_response_schema_gemini_accepts()
    {
        fixture.Google.Script("gemini-json", Answer(Response("gemini-json", [Candidate(0, [TextPart("""{"name":"Ada","born":1815}""")], "STOP")], Usage(10, 8))));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", JsonNode.Parse("""
            {
              "model": "gemini/gemini-json",
              "messages": [{"role": "user", "content": "Who wrote the first program?"}],
              "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema":
                {"type": "object", "properties": {"name": {"type": "string"}, "born": {"type": ["integer", "null"]}}, "required": ["name"], "additionalProperties": false}}}
            }
            """));
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Ada", JsonNode.Parse(body["choices"]![0]!["message"]!["content"]!.ToString())!["name"]!.ToString());
        var config = Assert.Single(fixture.Google.RequestsFor("gemini-json")).Body["generationConfig"]!;
        Assert.Equal("application/json", config["responseMimeType"]!.ToString());
        Assert.Equal("string", config["responseSchema"]!["properties"]!["name"]!["type"]!.ToString());
        Assert.Equal("integer", config["responseSchema"]!["properties"]!["born"]!["type"]!.ToString());
        Assert.True(config["responseSchema"]!["properties"]!["born"]!["nullable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_prompt_blocked_by_safety_settings_is_answered_with_finish_reason_content_filter()
    {
        fixture.Google.Script("gemini-blocked", Answer(new JsonObject
        {
            ["promptFeedback"] = new JsonObject { ["blockReason"] = "SAFETY" },
            ["usageMetadata"] = Usage(7, null),
            ["modelVersion"] = "gemini-blocked",
        }));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "gemini/gemini-blocked", messages = new[] { new { role = "user", content = "x" } } });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("content_filter", body["choices"]![0]!["finish_reason"]!.ToString());
        Assert.Equal(7, body["usage"]!["prompt_tokens"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(401, "UNAUTHENTICATED", 401, 1)]
    [InlineData(400, "INVALID_ARGUMENT", 400, 1)]
    [InlineData(503, "UNAVAILABLE", 503, 3)] // retried (MaxRetries 2), then answered as overloaded
    public async Task A_provider_error_comes_back_in_openai_shape_with_the_mapped_status(int code, string status, int expected, int attempts)
    {
        var model = $"gemini-error-{code}";
        fixture.Google.Script(model, Enumerable.Repeat(Error(code, status, $"refused with {code}"), 3).ToArray());
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "gemini/" + model, messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Contains($"refused with {code}", error["message"]!.ToString());
        Assert.Equal(attempts, fixture.Google.RequestsFor(model).Count);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried_and_then_answered()
    {
        fixture.Google.Script("gemini-429", Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retryAfterSeconds: 1));
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "gemini/gemini-429", messages = new[] { new { role = "user", content = "again" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, fixture.Google.RequestsFor("gemini-429").Count);
    }

    [Fact]
    public async Task An_error_object_mid_stream_ends_the_stream_with_an_openai_error()
    {
        fixture.Google.Script("gemini-midway", async (context, _) =>
        {
            await StreamAsync(context, [Response("gemini-midway", [Candidate(0, [TextPart("partial")], null)], Usage(5, null))]);
            await FakeProviderServer.WriteEventAsync(context, null, new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = 503, ["message"] = "The model is overloaded.", ["status"] = "UNAVAILABLE" },
            });
        });

        var received = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gemini/gemini-midway", stream = true, messages = new[] { new { role = "user", content = "x" } },
        }));

        Assert.Contains(received, e => e.Contains("partial", StringComparison.Ordinal));
        Assert.Contains("The model is overloaded.", JsonNode.Parse(received[^1])!["error"]!["message"]!.ToString());
        Assert.Single(fixture.Google.RequestsFor("gemini-midway"));
    }

    [Fact]
    public async Task Embeddings_go_through_batch_embed_contents_one_request_per_input()
    {
        var response = await d.PostAsJsonAsync("/v1/embeddings", new { model = "gemini/text-embedding-004", input = new[] { "alpha", "beta" }, dimensions = 3 });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", body["object"]!.ToString());
        var data = body["data"]!.AsArray();
        Assert.Equal([0, 1], data.Select(e => e!["index"]!.GetValue<int>()));
        Assert.Equal([0.5, -0.25, 1], data[1]!["embedding"]!.AsArray().Select(v => v!.GetValue<double>()));
        var sent = Assert.Single(fixture.Google.RequestsFor("text-embedding-004"));
        Assert.Equal("/v1beta/models/text-embedding-004:batchEmbedContents", sent.Path);
        Assert.Equal(["alpha", "beta"], sent.Body["requests"]!.AsArray().Select(r => r!["content"]!["parts"]![0]!["text"]!.ToString()));
        Assert.All(sent.Body["requests"]!.AsArray(), r => Assert.Equal(3, r!["outputDimensionality"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Embeddings_asked_as_base64_come_back_as_little_endian_float32()
    {
        var response = await d.PostAsJsonAsync("/v1/embeddings", new { model = "gemini/embed-b64", input = "alpha", encoding_format = "base64" });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = Convert.FromBase64String(body["data"]![0]!["embedding"]!.ToString());
        var floats = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, i * 4)).ToArray();
        Assert.Equal([0.5f, -0.25f, 0f], floats);
    }
}
