using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.Limits;
using HoneyHive.LlmProxy.OpenAi;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>
/// Per-project limits against the real Redis: through the proxy for the 429s callers see (project C has 3 calls a
/// minute, project B 2 at once, set by the fixture), and with limiter instances of their own for what replicas share.
/// </summary>
[Collection(LlmProxyCollection.Name)]
public sealed class CallLimitTests(LlmProxyFixture fixture)
{
    private static object Chat(string model, bool stream = false) =>
        new { model, stream, messages = new[] { new { role = "user", content = "limits " + Guid.NewGuid() } } };

    [Fact]
    public async Task The_call_after_the_projects_per_minute_limit_is_refused_with_429_rate_limit_error_and_retry_after()
    {
        var c = fixture.Client("key-c");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await c.PostAsJsonAsync("/v1/chat/completions", Chat("openai/limits-rate"))).StatusCode);

        var refused = await c.PostAsJsonAsync("/v1/chat/completions", Chat("openai/limits-rate"));
        var error = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("rate_limit_error", error["type"]!.ToString());
        Assert.Equal("project_rate_limit_exceeded", error["code"]!.ToString());
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(3, fixture.OpenAi.RequestsFor("limits-rate").Count()); // the refused call never reached the provider
        // Another project's calls are not counted against this one.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client("key-a").PostAsJsonAsync("/v1/chat/completions", Chat("openai/limits-rate"))).StatusCode);
    }

    [Fact]
    public async Task The_concurrency_cap_refuses_while_its_streams_are_open_and_admits_again_once_one_closes()
    {
        var b = fixture.Client("key-b");
        var release = new TaskCompletionSource();
        async Task HoldAsync(HttpContext context, JsonObject body)
        {
            context.Response.ContentType = "text/event-stream";
            await FakeOpenAiUpstream.SendAsync(context, FakeOpenAiUpstream.Chunk("limits-hold", new JsonObject { ["role"] = "assistant", ["content"] = "held" }, null));
            await release.Task.WaitAsync(context.RequestAborted);
            await FakeOpenAiUpstream.SendAsync(context, FakeOpenAiUpstream.Chunk("limits-hold", new JsonObject(), "stop"));
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        }
        fixture.OpenAi.Script("limits-hold", HoldAsync, HoldAsync);

        var first = await OpenStreamAsync(b);
        var second = await OpenStreamAsync(b);
        var refused = await b.PostAsJsonAsync("/v1/chat/completions", Chat("openai/limits-free"));
        var error = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("project_concurrency_limit_exceeded", error["code"]!.ToString());
        Assert.True(refused.Headers.Contains("Retry-After"));

        release.SetResult();
        Assert.Contains("[DONE]", await first.Content.ReadAsStringAsync());
        Assert.Contains("[DONE]", await second.Content.ReadAsStringAsync());
        first.Dispose();
        second.Dispose();
        var admitted = await b.PostAsJsonAsync("/v1/chat/completions", Chat("openai/limits-free"));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Single(fixture.OpenAi.RequestsFor("limits-free"));
    }

    [Fact]
    public async Task A_slot_held_by_a_replica_that_crashed_expires_and_is_given_to_another_replica()
    {
        var project = Guid.NewGuid();
        var options = new CallLimitOptions { RequestsPerMinute = 0, MaxConcurrent = 1, LeaseTtl = TimeSpan.FromSeconds(1) };
        var scope = new CallScope(project, Guid.NewGuid(), Guid.Empty);
        var crashed = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        await using var survivor = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var survivorLimiter = Limiter(survivor, options);

        // The crashed replica takes the one slot and dies without releasing it: its connection is gone, so no renewal.
        _ = await Limiter(crashed, options).AcquireAsync(scope, CancellationToken.None);
        await crashed.CloseAsync(allowCommandsToComplete: false);
        crashed.Dispose();
        var whileHeld = await Assert.ThrowsAsync<OpenAiErrorException>(() => survivorLimiter.AcquireAsync(scope, CancellationToken.None));
        Assert.Equal(429, whileHeld.Status);

        var lease = await Eventually.ValueAsync(async () =>
        {
            try
            {
                return await survivorLimiter.AcquireAsync(scope, CancellationToken.None);
            }
            catch (OpenAiErrorException)
            {
                return null;
            }
        }, l => l is not null, "the crashed replica's lease to expire", TimeSpan.FromSeconds(30));
        await lease!.DisposeAsync();
    }

    [Fact]
    public async Task A_lease_that_is_renewed_outlives_its_lifetime_while_the_call_runs()
    {
        var project = Guid.NewGuid();
        // Renewed every second (a third of its life): two seconds of slack for a timer late on a busy test machine.
        var options = new CallLimitOptions { RequestsPerMinute = 0, MaxConcurrent = 1, LeaseTtl = TimeSpan.FromSeconds(3) };
        var scope = new CallScope(project, Guid.NewGuid(), Guid.Empty);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var limiter = Limiter(redis, options);

        var lease = await limiter.AcquireAsync(scope, CancellationToken.None);
        // Seen refused across several lifetimes of the lease: the holder's renewals keep it.
        var key = limiter.ConcurrencyKey(project);
        var renewedExpiries = new HashSet<double>();
        while (renewedExpiries.Count < 3)
        {
            await Assert.ThrowsAsync<OpenAiErrorException>(() => limiter.AcquireAsync(scope, CancellationToken.None));
            var entries = await redis.GetDatabase().SortedSetRangeByRankWithScoresAsync(key);
            renewedExpiries.Add(Assert.Single(entries).Score);
            await Task.Delay(200);
        }
        await lease.DisposeAsync();

        Assert.Empty(await redis.GetDatabase().SortedSetRangeByRankWithScoresAsync(key));
        await (await limiter.AcquireAsync(scope, CancellationToken.None)).DisposeAsync();
    }

    [Fact]
    public async Task Limiters_on_two_connections_share_one_count_as_replicas_do()
    {
        var scope = new CallScope(Guid.NewGuid(), Guid.NewGuid(), Guid.Empty);
        var options = new CallLimitOptions { RequestsPerMinute = 4, MaxConcurrent = 0 };
        await using var one = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        await using var two = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var replicas = new[] { Limiter(one, options), Limiter(two, options) };

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            try
            {
                await (await replicas[i % 2].AcquireAsync(scope, CancellationToken.None)).DisposeAsync();
                return true;
            }
            catch (OpenAiErrorException e) when (e.Status == 429)
            {
                return false;
            }
        }));

        Assert.Equal(4, outcomes.Count(admitted => admitted));
    }

    [Fact]
    public async Task When_redis_cannot_be_reached_calls_are_let_through_without_limits()
    {
        // A port nothing listens on: the multiplexer starts disconnected, as during an outage.
        var options = ConfigurationOptions.Parse("127.0.0.1:1");
        options.AbortOnConnectFail = false;
        await using var down = await ConnectionMultiplexer.ConnectAsync(options);
        var limiter = Limiter(down, new CallLimitOptions { RequestsPerMinute = 1, MaxConcurrent = 1 });
        var scope = new CallScope(Guid.NewGuid(), Guid.NewGuid(), Guid.Empty);

        for (var i = 0; i < 3; i++) await (await limiter.AcquireAsync(scope, CancellationToken.None)).DisposeAsync();

        Assert.False(down.IsConnected);
    }

    private async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat("openai/limits-hold", stream: true)) };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private RedisProjectCallLimiter Limiter(IConnectionMultiplexer redis, CallLimitOptions options) =>
        new(redis, Options.Create(options), new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["State:KeyPrefix"] = fixture.KeyPrefix }).Build(),
            NullLogger<RedisProjectCallLimiter>.Instance);
}
