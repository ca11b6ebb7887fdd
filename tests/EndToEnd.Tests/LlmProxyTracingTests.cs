using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>The Host with its openai kind pointed at an OpenAI-wire server in this process (loopback, allowed on purpose).</summary>
public sealed class ProxyHost : HostProcess
{
    private WebApplication? upstream;

    public List<JsonObject> UpstreamRequests { get; } = [];

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The test folder holds the Host's appsettings.json, whose Kestrel endpoints are not this server's.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        upstream = builder.Build();
        upstream.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            // OpenAI's documented request: a bearer key, the model without our provider prefix, the messages.
            if (context.Request.Headers.Authorization.ToString() != "Bearer sk-e2e-proxy-upstream") return Results.Unauthorized();
            var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            lock (UpstreamRequests) UpstreamRequests.Add(body);
            return Results.Json(new JsonObject
            {
                ["id"] = "chatcmpl-e2e",
                ["object"] = "chat.completion",
                ["created"] = 1_700_000_000,
                ["model"] = body["model"]!.ToString(),
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "Paris." },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 1000, ["completion_tokens"] = 500, ["total_tokens"] = 1500 },
            });
        });
        await upstream.StartAsync();
        var address = upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        ExtraEnvironment["LlmProxy__ProviderBaseUrls__openai"] = address + "/v1";
        ExtraEnvironment["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (upstream is not null) await upstream.DisposeAsync();
    }
}

/// <summary>A chat completion through the real Host's proxy comes back through the DP API as a priced model event in its session.</summary>
public sealed class LlmProxyTracingTests(ProxyHost host) : IClassFixture<ProxyHost>
{
    [Fact]
    public async Task A_chat_completion_through_the_host_is_stored_as_a_model_event_with_tokens_a_price_table_cost_and_its_session()
    {
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        using (var stored = await api.PutAsJsonAsync(new Uri("/v1/provider-secrets/openai", UriKind.Relative), new { value = "sk-e2e-proxy-upstream" }))
            Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
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
        lock (host.UpstreamRequests) Assert.Equal("gpt-4o-mini", Assert.Single(host.UpstreamRequests)["model"]!.ToString());

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
