using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

[Collection(LlmProxyCollection.Name)]
public sealed class BedrockChatTests(LlmProxyFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient d = fixture.Client("key-d");
    private static FakeBedrockRuntime Bedrock => FakeBedrockRuntime.Shared;

    public Task InitializeAsync() => BedrockSecrets.StoreAsync(fixture);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_completion_goes_to_converse_signed_with_the_workspace_key_and_comes_back_in_openai_shape()
    {
        const string model = "anthropic.claude-3-haiku-20240307-v1:0";
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "bedrock/" + model,
            messages = new object[]
            {
                new { role = "system", content = "Be brief." },
                new { role = "developer", content = new[] { new { type = "text", text = "Use English." } } },
                new { role = "user", content = "hello there" },
            },
            temperature = 0.3,
            top_p = 0.9,
            max_tokens = 200,
            stop = new[] { "END" },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo: hello there", body!["choices"]![0]!["message"]!["content"]!.ToString());
        Assert.Equal("stop", body["choices"]![0]!["finish_reason"]!.ToString());
        Assert.Equal(17, body["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.Equal(12, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.StartsWith("chatcmpl-req-", body["id"]!.ToString(), StringComparison.Ordinal);

        var sent = Assert.Single(Bedrock.RequestsFor(model));
        Assert.True(sent.Signature.Valid, sent.Signature.Message);
        Assert.Equal(FakeBedrockRuntime.AccessKeyId, sent.Signature.AccessKeyId);
        Assert.Equal(["content-type", "host", "x-amz-content-sha256", "x-amz-date"], sent.Signature.SignedHeaders);
        Assert.Contains($"/{FakeBedrockRuntime.Region}/bedrock/aws4_request", sent.Headers["authorization"], StringComparison.Ordinal);
        Assert.Equal("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", sent.RawPath);
        Assert.Equal("""[{"text":"Be brief."},{"text":"Use English."}]""", sent.Body["system"]!.ToJsonString());
        Assert.Equal("""{"maxTokens":200,"temperature":0.3,"topP":0.9,"stopSequences":["END"]}""", sent.Body["inferenceConfig"]!.ToJsonString());
        Assert.Equal("""[{"role":"user","content":[{"text":"hello there"}]}]""", sent.Body["messages"]!.ToJsonString());
    }

    [Fact]
    public async Task An_inference_profile_arn_is_one_escaped_path_segment_and_its_signature_holds()
    {
        const string model = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0";
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/" + model, messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Bedrock.RequestsFor(model));
        Assert.Equal("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", sent.RawPath);
        Assert.True(sent.Signature.Valid, sent.Signature.Message);
    }

    [Fact]
    public async Task Tools_and_tool_results_become_tool_config_tool_use_and_one_merged_user_turn_and_a_tool_use_answer_is_tool_calls()
    {
        const string model = "tools-model";
        Bedrock.Script(model, FakeBedrockRuntime.Answer(FakeBedrockRuntime.Converse(
            new JsonObject { ["text"] = "Let me check." }, "tool_use",
            new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = "tooluse_abc", ["name"] = "get_weather", ["input"] = new JsonObject { ["city"] = "Oslo" } } })));
        var parameters = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } };
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "bedrock/" + model,
            tools = new[] { new { type = "function", function = new { name = "get_weather", description = "Weather by city", parameters } } },
            tool_choice = "required",
            messages = new object[]
            {
                new { role = "user", content = "Weather in Paris and Rome?" },
                new
                {
                    role = "assistant",
                    content = (string?)null,
                    tool_calls = new[]
                    {
                        new { id = "call_1", type = "function", function = new { name = "get_weather", arguments = """{"city":"Paris"}""" } },
                        new { id = "call_2", type = "function", function = new { name = "get_weather", arguments = """{"city":"Rome"}""" } },
                    },
                },
                new { role = "tool", tool_call_id = "call_1", content = """{"temp":21}""" },
                new { role = "tool", tool_call_id = "call_2", content = "rainy" },
                new { role = "user", content = "And Oslo?" },
            },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Bedrock.RequestsFor(model));
        var messages = sent.Body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m!["role"]!.ToString()));
        Assert.Equal("""[{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}},{"toolUse":{"toolUseId":"call_2","name":"get_weather","input":{"city":"Rome"}}}]""",
            messages[1]!["content"]!.ToJsonString());
        Assert.Equal("""[{"toolResult":{"toolUseId":"call_1","content":[{"json":{"temp":21}}]}},{"toolResult":{"toolUseId":"call_2","content":[{"text":"rainy"}]}},{"text":"And Oslo?"}]""",
            messages[2]!["content"]!.ToJsonString());
        var spec = sent.Body["toolConfig"]!["tools"]![0]!["toolSpec"]!;
        Assert.Equal("get_weather", spec["name"]!.ToString());
        Assert.Equal("string", spec["inputSchema"]!["json"]!["properties"]!["city"]!["type"]!.ToString());
        Assert.Equal("""{"any":{}}""", sent.Body["toolConfig"]!["toolChoice"]!.ToJsonString());

        var choice = body!["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.ToString());
        Assert.Equal("Let me check.", choice["message"]!["content"]!.ToString());
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("tooluse_abc", call["id"]!.ToString());
        Assert.Equal("get_weather", call["function"]!["name"]!.ToString());
        Assert.Equal("Oslo", JsonNode.Parse(call["function"]!["arguments"]!.ToString())!["city"]!.ToString());
    }

    [Fact]
    public async Task An_image_data_url_is_sent_as_bytes_and_a_web_link_is_refused_naming_the_field()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
        object Message(string url) => new
        {
            role = "user",
            content = new object[] { new { type = "text", text = "What is this?" }, new { type = "image_url", image_url = new { url } } },
        };
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/vision-model", messages = new[] { Message("data:image/png;base64," + Convert.ToBase64String(png)) } });
        var refused = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/vision-link", messages = new[] { Message("https://example.com/cat.png") } });
        var error = await refused.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var image = Assert.Single(Bedrock.RequestsFor("vision-model")).Body["messages"]![0]!["content"]![1]!["image"]!;
        Assert.Equal("png", image["format"]!.ToString());
        Assert.Equal(png, Convert.FromBase64String(image["source"]!["bytes"]!.ToString()));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("messages[0].content[1].image_url.url", error!["error"]!["param"]!.ToString());
        Assert.Empty(Bedrock.RequestsFor("vision-link"));
    }

    [Fact]
    public async Task A_throttling_exception_is_retried_and_then_answered()
    {
        Bedrock.Script("throttled", FakeBedrockRuntime.Error(429, "ThrottlingException", "Too many requests, please wait before trying again."));
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/throttled", messages = new[] { new { role = "user", content = "again" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Bedrock.RequestsFor("throttled").Count());
    }

    [Theory]
    [InlineData(400, "ValidationException", 400, "invalid_request_error", 1)]
    [InlineData(403, "AccessDeniedException", 403, "permission_error", 1)]
    [InlineData(404, "ResourceNotFoundException", 404, "not_found_error", 1)]
    [InlineData(429, "ModelNotReadyException", 503, "api_error", 3)] // retryable: the first try and both retries
    [InlineData(503, "ServiceUnavailableException", 503, "api_error", 3)]
    public async Task A_bedrock_error_type_maps_to_the_openai_status_and_type(int status, string type, int expectedStatus, string expectedType, int attempts)
    {
        var model = "error-" + type;
        Bedrock.Script(model, Enumerable.Range(0, attempts).Select(_ => FakeBedrockRuntime.Error(status, type, "it failed: " + type)).ToArray());
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/" + model, messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(expectedType, error["type"]!.ToString());
        Assert.Equal(type, error["code"]!.ToString());
        Assert.Contains("it failed: " + type, error["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(attempts, Bedrock.RequestsFor(model).Count());
    }

    [Fact]
    public async Task A_wrong_secret_key_fails_the_signature_check_and_is_answered_403_without_the_secret()
    {
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "aws-bedrock/wrong-secret", messages = new[] { new { role = "user", content = "x" } } });
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal("InvalidSignatureException", error["code"]!.ToString());
        Assert.Contains("secret_access_key does not match", error["message"]!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(BedrockSecrets.WrongSecret, text, StringComparison.Ordinal);
        var sent = Assert.Single(Bedrock.RequestsFor("wrong-secret")); // a refused signature is not retried
        Assert.Equal("InvalidSignatureException", sent.Signature.ErrorType);
    }

    [Fact]
    public async Task A_session_token_is_sent_as_x_amz_security_token_and_signed()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/session-model", messages = new[] { new { role = "user", content = "temporary" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Bedrock.RequestsFor("session-model"));
        Assert.Equal(FakeBedrockRuntime.SessionToken, sent.Headers["x-amz-security-token"]);
        Assert.Contains("x-amz-security-token", sent.Signature.SignedHeaders);
        Assert.Equal(FakeBedrockRuntime.TemporaryKeyId, sent.Signature.AccessKeyId);
        Assert.True(sent.Signature.Valid, sent.Signature.Message);
    }

    [Fact]
    public async Task A_secret_that_is_no_aws_key_is_refused_naming_the_fix_without_echoing_it()
    {
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "aws-bedrock/never-sent", messages = new[] { new { role = "user", content = "x" } } });
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("access_key_id", text, StringComparison.Ordinal);
        Assert.Contains("AKID:SECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain(BedrockSecrets.Malformed, text, StringComparison.Ordinal);
        Assert.Empty(Bedrock.RequestsFor("never-sent"));
    }

    [Fact]
    public async Task More_than_one_choice_is_refused_before_any_call()
    {
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "bedrock/n-model", n = 2, messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("n", error["param"]!.ToString());
        Assert.Empty(Bedrock.RequestsFor("n-model"));
    }

    [Fact]
    public async Task A_json_schema_response_format_is_a_forced_tool_whose_input_comes_back_as_the_content()
    {
        const string model = "schema-model";
        Bedrock.Script(model, FakeBedrockRuntime.Answer(FakeBedrockRuntime.Converse(new JsonObject
        {
            ["toolUse"] = new JsonObject { ["toolUseId"] = "tooluse_s", ["name"] = "forecast", ["input"] = new JsonObject { ["city"] = "Oslo", ["temp"] = 3 } },
        }, "tool_use")));
        var schema = new { type = "object", properties = new { city = new { type = "string" }, temp = new { type = "number" } } };
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "bedrock/" + model,
            response_format = new { type = "json_schema", json_schema = new { name = "forecast", schema } },
            messages = new[] { new { role = "user", content = "Forecast for Oslo" } },
        });
        var choice = (await response.Content.ReadFromJsonAsync<JsonObject>())!["choices"]![0]!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Bedrock.RequestsFor(model));
        Assert.Equal("""{"tool":{"name":"forecast"}}""", sent.Body["toolConfig"]!["toolChoice"]!.ToJsonString());
        Assert.Equal("number", sent.Body["toolConfig"]!["tools"]![0]!["toolSpec"]!["inputSchema"]!["json"]!["properties"]!["temp"]!["type"]!.ToString());
        Assert.Equal("stop", choice["finish_reason"]!.ToString());
        Assert.Null(choice["message"]!["tool_calls"]);
        Assert.Equal(3, JsonNode.Parse(choice["message"]!["content"]!.ToString())!["temp"]!.GetValue<int>());
    }
}
