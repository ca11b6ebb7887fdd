using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using HoneyHive.EndToEnd.Tests.LlmProxy;

// Not "...Tests.Sdk": that namespace would hide OpenTelemetry's Sdk class from the other tests.
namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>
/// OpenAI's official npm client (`openai` 7.60.0), unchanged but for its baseURL and key (a project API key), against
/// the single-node Host's LLM proxy: completion, stream with usage, tool call, embeddings, model list, a refusal.
/// </summary>
public sealed class OpenAiNpmClientTests(ProxyHost host) : IClassFixture<ProxyHost>
{
    [Fact]
    public async Task The_openai_npm_client_works_against_the_proxy_with_only_its_base_url_changed()
    {
        using (var api = host.Client(host.DataPlaneApi, host.ApiKey))
        using (var stored = await api.PutAsJsonAsync(new Uri("/v1/provider-secrets/openai", UriKind.Relative), new { value = "sk-npm-client-upstream" }))
            Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
        host.Upstream.Script("npm-echo-tools", async (context, body) =>
        {
            var completion = FakeOpenAiUpstream.Completion("npm-echo-tools", "");
            var message = completion["choices"]![0]!["message"]!.AsObject();
            message["content"] = null;
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = "call_1",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = """{"city":"Paris"}""" },
            });
            completion["choices"]![0]!["finish_reason"] = "tool_calls";
            await context.Response.WriteAsJsonAsync(completion);
        });

        var result = JsonNode.Parse(await NodeScript.RunAsync("openai-proxy.mjs", host.DataPlaneApi.ToString().TrimEnd('/'), host.ApiKey, "openai/npm-echo"))!;

        Assert.Equal("echo: hello from the openai client", result["content"]!.ToString());
        Assert.Equal(18, result["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.Equal("echo: hello from the openai client", result["streamedText"]!.ToString());
        Assert.Equal(18, result["streamedUsage"]!["total_tokens"]!.GetValue<int>());
        Assert.True(result["chunks"]!.GetValue<int>() > 2, "the answer arrived in several chunks");
        Assert.Equal("tool_calls", result["finishReason"]!.ToString());
        Assert.Equal("get_weather", result["toolCalls"]![0]!["function"]!["name"]!.ToString());
        Assert.Equal(3, result["embeddingLength"]!.GetValue<int>());
        Assert.Contains("openai/*", result["models"]!.AsArray().Select(m => m!.ToString()));
        Assert.Equal(400, result["refusal"]!["status"]!.GetValue<int>());
        Assert.Equal("provider_not_configured", result["refusal"]!["code"]!.ToString());
        // The tools reached the provider as OpenAI documents them.
        var toolsRequest = Assert.Single(host.Upstream.RequestsFor("npm-echo-tools"));
        Assert.Equal("get_weather", toolsRequest.Body["tools"]![0]!["function"]!["name"]!.ToString());
        Assert.Equal("Bearer sk-npm-client-upstream", toolsRequest.Headers["authorization"]);
    }
}
