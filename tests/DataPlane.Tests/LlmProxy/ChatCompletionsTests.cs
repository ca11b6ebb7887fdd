using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

[Collection(LlmProxyCollection.Name)]
public sealed class ChatCompletionsTests(LlmProxyFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    [Fact]
    public async Task A_completion_reaches_the_provider_with_the_workspace_key_and_the_unprefixed_model()
    {
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "openai/gpt-4o-mini-passthrough",
            messages = new[] { new { role = "user", content = "hello there" } },
            temperature = 0.2,
            seed = 7,
            vendor_extension = new { keep = true }, // unknown to the proxy: passed through untouched
        });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo: hello there", body!["choices"]![0]!["message"]!["content"]!.ToString());
        var sent = Assert.Single(fixture.OpenAi.RequestsFor("gpt-4o-mini-passthrough"));
        Assert.Equal("Bearer " + LlmProxyFixture.OpenAiKey, sent.Headers["authorization"]);
        Assert.Equal(0.2, sent.Body["temperature"]!.GetValue<double>());
        Assert.Equal(7, sent.Body["seed"]!.GetValue<int>());
        Assert.True(sent.Body["vendor_extension"]!["keep"]!.GetValue<bool>());
        Assert.Null(sent.Body["stream"]);
    }

    [Fact]
    public async Task A_stream_arrives_as_server_sent_events_ending_in_done_without_usage_unless_asked()
    {
        var request = new { model = "openai/stream-plain", stream = true, messages = new[] { new { role = "user", content = "one two three" } } };
        var events = await ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", request));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.Equal("echo: one two three", string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())));
        Assert.All(chunks, c => Assert.Null(c["usage"]));
        // Usage is asked upstream all the same: the trace needs the tokens.
        Assert.True(Assert.Single(fixture.OpenAi.RequestsFor("stream-plain")).Body["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_stream_with_include_usage_ends_with_the_usage_chunk()
    {
        var request = new
        {
            model = "openai/stream-usage", stream = true, stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "count tokens" } },
        };
        var events = await ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", request));

        var last = JsonNode.Parse(events[^2])!.AsObject();
        Assert.Empty(last["choices"]!.AsArray());
        Assert.Equal(18, last["usage"]!["total_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried_and_then_answered()
    {
        fixture.OpenAi.Script("flaky", FakeOpenAiUpstream.Error(429, "slow down", "rate_limit_error", retryAfterSeconds: 1));
        var started = DateTime.UtcNow;
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "openai/flaky", messages = new[] { new { role = "user", content = "again" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, fixture.OpenAi.RequestsFor("flaky").Count());
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the proxy waited what retry-after asked");
    }

    [Fact]
    public async Task A_provider_error_that_is_not_retryable_comes_back_in_openai_shape_with_its_status()
    {
        fixture.OpenAi.Script("bad-request", FakeOpenAiUpstream.Error(400, "Invalid 'messages[0].content'", "invalid_request_error"));
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "openai/bad-request", messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error["type"]!.ToString());
        Assert.Contains("Invalid 'messages[0].content'", error["message"]!.ToString());
        Assert.Single(fixture.OpenAi.RequestsFor("bad-request"));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("""{"model":"openai/x","messages":[]}""", "messages")]
    [InlineData("""{"model":"openai/x","messages":[{"content":"no role"}]}""", "messages[0]")]
    [InlineData("""{"model":"openai/x","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}""", "stream_options")]
    [InlineData("""{"model":"openai/x","messages":[{"role":"user","content":"x"}],"n":0}""", "n")]
    public async Task A_malformed_request_is_refused_with_400_naming_the_field(string json, string param)
    {
        var response = await a.PostAsync("/v1/chat/completions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error["type"]!.ToString());
        Assert.Equal(param, error["param"]!.ToString());
    }

    [Fact]
    public async Task A_provider_the_workspace_has_no_key_for_is_refused_naming_the_route_to_store_one()
    {
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "anthropic/claude-x", messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("provider_not_configured", error["code"]!.ToString());
        Assert.Contains("/v1/provider-secrets/anthropic", error["message"]!.ToString());
    }

    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e[6..] : e)];
    }
}
