using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.EndToEnd.Tests.LlmProxy;

/// <summary>A chat completion through the real Host's proxy comes back through the DP API as a priced model event in its session.</summary>
public sealed class LlmProxyTracingTests(ProxyHost host) : IClassFixture<ProxyHost>
{
    [Fact]
    public async Task A_chat_completion_through_the_host_is_stored_as_a_model_event_with_tokens_a_price_table_cost_and_its_session()
    {
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        using (var stored = await api.PutAsJsonAsync(new Uri("/v1/provider-secrets/openai", UriKind.Relative), new { value = "sk-e2e-proxy-upstream" }))
            Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
        // A price-worthy answer: the cost is read back against the Writer's table.
        host.Upstream.Script("gpt-4o-mini", async (context, body) =>
        {
            var completion = FakeOpenAiUpstream.Completion("gpt-4o-mini", "Paris.");
            completion["usage"] = new JsonObject { ["prompt_tokens"] = 1000, ["completion_tokens"] = 500, ["total_tokens"] = 1500 };
            await context.Response.WriteAsJsonAsync(completion);
        });
        var session = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = JsonContent.Create(new { model = "openai/gpt-4o-mini", messages = new[] { new { role = "user", content = "Capital of France?" } }, temperature = 0 }),
        };
        request.Headers.Add("X-HH-Session-Id", session);

        using var response = await api.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        Assert.Equal("Paris.", JsonNode.Parse(answer)!["choices"]![0]!["message"]!["content"]!.ToString());
        // OpenAI's documented request: the workspace's key as bearer, the model without our provider prefix.
        var sent = Assert.Single(host.Upstream.RequestsFor("gpt-4o-mini"));
        Assert.Equal("Bearer sk-e2e-proxy-upstream", sent.Headers["authorization"]);

        var events = await Eventually.ValueAsync(async () =>
        {
            using var search = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new
            {
                filters = new[] { new { field = "session_id", @operator = "is", value = session, type = "string" } },
                limit = 10,
            });
            var body = await search.Content.ReadAsStringAsync();
            Assert.True(search.StatusCode == HttpStatusCode.OK, $"search answered {(int)search.StatusCode}: {body}");
            return JsonNode.Parse(body)!["events"]!.AsArray().OfType<JsonObject>().ToList();
        }, found => found.Count >= 1, "the model event in the DP API");

        var evt = Assert.Single(events);
        Assert.Equal("model", evt["event_type"]!.ToString());
        Assert.Equal("llm-proxy", evt["source"]!.ToString());
        Assert.Equal(session, evt["parent_id"]!.ToString());
        Assert.Equal("Capital of France?", evt["inputs"]!["chat_history"]![0]!["content"]!.ToString());
        Assert.Equal("Paris.", evt["outputs"]!["content"]!.ToString());
        Assert.Equal("gpt-4o-mini", evt["config"]!["model"]!.ToString());
        Assert.Equal(1000, evt["metadata"]!["prompt_tokens"]!.GetValue<double>());
        Assert.Equal(500, evt["metadata"]!["completion_tokens"]!.GetValue<double>());
        Assert.Equal(1500, evt["metadata"]!["total_tokens"]!.GetValue<double>());
        // gpt-4o-mini in the Writer's table: $0.15 per 1M input tokens, $0.60 per 1M output tokens.
        Assert.Equal((1000 * 0.15 + 500 * 0.60) / 1_000_000, evt["metadata"]!["cost"]!.GetValue<double>(), 12);
    }
}
