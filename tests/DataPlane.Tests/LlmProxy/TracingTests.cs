using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.Ingestion.Normalization;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>Every call through the proxy becomes a model event on the real events stream (JetStream), read back from it.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class TracingTests(LlmProxyFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    private static object[] Messages(string marker) => [new { role = "system", content = "be brief" }, new { role = "user", content = marker }];

    [Fact]
    public async Task A_completion_is_traced_as_a_model_event_with_its_messages_answer_config_and_tokens()
    {
        var marker = "trace-plain-" + Guid.NewGuid();
        var tools = new[] { new { type = "function", function = new { name = "lookup", parameters = new { type = "object" } } } };
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "openai/gpt-4o-mini", messages = Messages(marker), temperature = 0.3, max_tokens = 50, tools });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var evt = await PublishedModelEvents.WithMarkerAsync(marker);

        Assert.Equal("model", evt["event_type"]!.ToString());
        Assert.Equal(Tenants.A.ProjectId.ToString(), evt["project_id"]!.ToString());
        Assert.Equal(Tenants.A.WorkspaceId.ToString(), evt["workspace_id"]!.ToString());
        Assert.Equal("llm-proxy", evt["source"]!.ToString());
        Assert.Null(evt["error"]);
        var history = evt["inputs"]!["chat_history"]!.AsArray();
        Assert.Equal(["system", "user"], history.Select(m => m!["role"]!.ToString()));
        Assert.Equal("assistant", evt["outputs"]!["role"]!.ToString());
        Assert.Equal("echo: " + marker, evt["outputs"]!["content"]!.ToString());
        Assert.Equal("stop", evt["outputs"]!["finish_reason"]!.ToString());
        var config = evt["config"]!;
        Assert.Equal("openai", config["provider"]!.ToString());
        Assert.Equal("gpt-4o-mini", config["model"]!.ToString());
        Assert.Equal(0.3, config["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal(50, config["hyperparameters"]!["max_tokens"]!.GetValue<double>());
        Assert.Null(config["hyperparameters"]!["messages"]);
        Assert.Equal("lookup", config["tools"]![0]!["function"]!["name"]!.ToString());
        var metadata = evt["metadata"]!;
        Assert.Equal(11, metadata["prompt_tokens"]!.GetValue<double>());
        Assert.Equal(7, metadata["completion_tokens"]!.GetValue<double>());
        Assert.Equal(18, metadata["total_tokens"]!.GetValue<double>());
        Assert.Equal(1, metadata["attempts"]!.GetValue<int>());
        Assert.Equal("openai/gpt-4o-mini", metadata["requested_model"]!.ToString());
        Assert.Equal("openai/gpt-4o-mini", metadata["target"]!.ToString());
        Assert.False(metadata["streamed"]!.GetValue<bool>());
        Assert.False(metadata["cancelled"]!.GetValue<bool>());
        Assert.True(evt["end_time"]!.GetValue<double>() >= evt["start_time"]!.GetValue<double>());
        Assert.Equal(evt["end_time"]!.GetValue<double>() - evt["start_time"]!.GetValue<double>(), evt["duration"]!.GetValue<double>(), 3);
    }

    [Fact]
    public async Task A_streamed_completion_is_traced_with_the_merged_answer_its_tokens_and_time_to_first_token()
    {
        var marker = "trace-stream-" + Guid.NewGuid();
        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions",
            new { model = "openai/gpt-4o-mini", stream = true, messages = Messages(marker) }));
        Assert.Equal("[DONE]", events[^1]);

        var evt = await PublishedModelEvents.WithMarkerAsync(marker);

        Assert.Equal("echo: " + marker, evt["outputs"]!["content"]!.ToString());
        Assert.True(evt["metadata"]!["streamed"]!.GetValue<bool>());
        Assert.Equal(18, evt["metadata"]!["total_tokens"]!.GetValue<double>());
        var ttft = evt["metadata"]!["time_to_first_token"]!.GetValue<double>();
        Assert.InRange(ttft, 0, evt["duration"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_session_id_header_puts_the_event_in_that_session_normalized_as_ingestion_normalizes_client_ids()
    {
        var marker = "trace-session-" + Guid.NewGuid();
        var uuidSession = Guid.NewGuid().ToString();
        var uuidMarker = marker + "-uuid";
        await SendAsync(marker, ("X-HH-Session-Id", "my-chat-session-42"));
        await SendAsync(uuidMarker, ("X-HH-Session-Id", uuidSession.ToUpperInvariant()));

        var named = await PublishedModelEvents.WithMarkerAsync(marker);
        var uuid = await PublishedModelEvents.WithMarkerAsync(uuidMarker);

        var expected = EventIds.Normalize("my-chat-session-42", Tenants.A.ProjectId.ToString());
        Assert.True(Guid.TryParse(expected, out _));
        Assert.Equal(expected, named["session_id"]!.ToString());
        Assert.Equal(expected, named["parent_id"]!.ToString());
        Assert.Equal(uuidSession, uuid["session_id"]!.ToString());
        Assert.Equal(uuidSession, uuid["parent_id"]!.ToString());
    }

    [Fact]
    public async Task A_traceparent_puts_the_event_in_the_traces_session_under_the_callers_span()
    {
        var marker = "trace-parent-" + Guid.NewGuid();
        const string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string span = "00f067aa0ba902b7";
        await SendAsync(marker, ("traceparent", $"00-{trace}-{span}-01"));

        var evt = await PublishedModelEvents.WithMarkerAsync(marker);

        Assert.Equal(EventIds.ForTrace(Convert.FromHexString(trace)), evt["session_id"]!.ToString());
        Assert.Equal("4bf92f35-77b3-4da6-a3ce-929d0e0e4736", evt["session_id"]!.ToString());
        Assert.Equal(EventIds.ForSpan(Convert.FromHexString(trace), Convert.FromHexString(span)), evt["parent_id"]!.ToString());
        Assert.Equal(trace, evt["metadata"]!["trace_id"]!.ToString());
        Assert.Equal(span, evt["metadata"]!["parent_span_id"]!.ToString());
    }

    [Fact]
    public async Task A_session_id_header_with_a_traceparent_keeps_the_session_and_takes_the_parent_span()
    {
        var marker = "trace-both-" + Guid.NewGuid();
        var session = Guid.NewGuid().ToString();
        const string trace = "0af7651916cd43dd8448eb211c80319c";
        const string span = "b7ad6b7169203331";
        await SendAsync(marker, ("X-HH-Session-Id", session), ("traceparent", $"00-{trace}-{span}-01"));

        var evt = await PublishedModelEvents.WithMarkerAsync(marker);

        Assert.Equal(session, evt["session_id"]!.ToString());
        Assert.Equal(EventIds.ForSpan(Convert.FromHexString(trace), Convert.FromHexString(span)), evt["parent_id"]!.ToString());
    }

    [Fact]
    public async Task A_call_with_no_session_and_a_malformed_traceparent_gets_a_session_of_its_own_as_the_event_api_gives_one()
    {
        var first = "trace-nosession-1-" + Guid.NewGuid();
        var second = "trace-nosession-2-" + Guid.NewGuid();
        await SendAsync(first);
        await SendAsync(second, ("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"));

        var one = await PublishedModelEvents.WithMarkerAsync(first);
        var two = await PublishedModelEvents.WithMarkerAsync(second);

        Assert.True(Guid.TryParse(one["session_id"]!.ToString(), out _));
        Assert.Equal(one["session_id"]!.ToString(), one["parent_id"]!.ToString());
        Assert.Equal(two["session_id"]!.ToString(), two["parent_id"]!.ToString());
        Assert.NotEqual(one["session_id"]!.ToString(), two["session_id"]!.ToString());
        Assert.Null(two["metadata"]!["trace_id"]);
    }

    [Fact]
    public async Task A_failed_call_is_traced_with_the_providers_error_and_its_status()
    {
        var marker = "trace-error-" + Guid.NewGuid();
        fixture.OpenAi.Script("trace-bad", FakeOpenAiUpstream.Error(400, "Invalid 'temperature': too hot", "invalid_request_error"));
        var response = await a.PostAsJsonAsync("/v1/chat/completions", new { model = "openai/trace-bad", messages = Messages(marker) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var evt = await PublishedModelEvents.WithMarkerAsync(marker);

        Assert.Contains("Invalid 'temperature': too hot", evt["error"]!.ToString());
        Assert.Equal(400, evt["metadata"]!["status_code"]!.GetValue<int>());
        Assert.Equal("invalid_request_error", evt["metadata"]!["error_type"]!.ToString());
        Assert.Equal(1, evt["metadata"]!["attempts"]!.GetValue<int>());
        Assert.Null(evt["outputs"]!["content"]);
    }

    [Fact]
    public async Task A_stream_the_client_abandons_midway_is_traced_as_cancelled_with_what_had_arrived()
    {
        var marker = "trace-cancel-" + Guid.NewGuid();
        var upstreamGone = new TaskCompletionSource();
        fixture.OpenAi.Script("trace-slow", async (context, body) =>
        {
            context.RequestAborted.Register(() => upstreamGone.TrySetResult());
            try
            {
                await FakeOpenAiUpstream.StreamTextAsync(context, "trace-slow", "one two three four five six seven eight nine ten", body, TimeSpan.FromMilliseconds(300));
            }
            catch (OperationCanceledException)
            {
                // the proxy closed the upstream connection: what this test is about
            }
        });
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "openai/trace-slow", stream = true, messages = Messages(marker) }),
        })
        using (var response = await a.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }
        await upstreamGone.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var evt = await PublishedModelEvents.WithMarkerAsync(marker);

        Assert.True(evt["metadata"]!["cancelled"]!.GetValue<bool>());
        Assert.True(evt["metadata"]!["streamed"]!.GetValue<bool>());
        Assert.DoesNotContain("ten", evt["outputs"]!["content"]?.ToString() ?? "");
    }

    [Fact]
    public async Task An_embeddings_call_is_traced_with_its_input_and_prompt_tokens()
    {
        var marker = "trace-embed-" + Guid.NewGuid();
        var response = await a.PostAsJsonAsync("/v1/embeddings", new { model = "openai/text-embedding-3-small", input = marker });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var evt = Assert.Single(await PublishedModelEvents.WaitForAsync(e => e["inputs"]?["input"]?.ToString() == marker));

        Assert.Equal("embedding", evt["config"]!["type"]!.ToString());
        Assert.Equal("text-embedding-3-small", evt["config"]!["model"]!.ToString());
        Assert.Equal(1, evt["outputs"]!["embeddings"]!.GetValue<int>());
        Assert.Equal(3, evt["outputs"]!["dimensions"]!.GetValue<int>());
        Assert.Equal(4, evt["metadata"]!["prompt_tokens"]!.GetValue<double>());
    }

    private async Task SendAsync(string marker, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "openai/gpt-4o-mini", messages = Messages(marker) }),
        };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await a.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
