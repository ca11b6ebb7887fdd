using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>Timeouts, retries, their limits and a client that goes away, against the loopback OpenAI server.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class ResilienceTests(LlmProxyFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    private static object Chat(string model, bool stream = false) =>
        new { model, stream, messages = new[] { new { role = "user", content = "are you there" } } };

    [Fact]
    public async Task An_attempt_past_its_timeout_is_abandoned_and_the_retry_answers()
    {
        // The fixture's attempt timeout is 3 s; the first answer would take a minute.
        fixture.OpenAi.Script("slow-once", async (context, body) =>
        {
            await Task.Delay(TimeSpan.FromMinutes(1), context.RequestAborted);
            await context.Response.WriteAsJsonAsync(FakeOpenAiUpstream.Completion("slow-once", "too late"));
        });

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/slow-once"));
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo: are you there", body!["choices"]![0]!["message"]!["content"]!.ToString());
        Assert.Equal(2, fixture.OpenAi.RequestsFor("slow-once").Count());
    }

    [Fact]
    public async Task A_provider_failing_every_attempt_is_tried_three_times_and_answered_as_502()
    {
        var failure = FakeOpenAiUpstream.Error(500, "internal failure");
        fixture.OpenAi.Script("down", failure, failure, failure, failure);

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/down"));
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("api_error", error["type"]!.ToString());
        Assert.Contains("openai: internal failure", error["message"]!.ToString());
        Assert.Equal(3, fixture.OpenAi.RequestsFor("down").Count()); // the first attempt and MaxRetries (2)
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_proxy_waits_is_passed_back_to_the_caller()
    {
        fixture.OpenAi.Script("long-wait", FakeOpenAiUpstream.Error(429, "quota", "rate_limit_error", retryAfterSeconds: 30));

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/long-wait"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter!.Delta);
        Assert.Equal("rate_limit_error", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["type"]!.ToString());
        Assert.Single(fixture.OpenAi.RequestsFor("long-wait"));
    }

    [Fact]
    public async Task An_answer_announced_larger_than_the_proxy_reads_is_refused_as_502_without_a_retry()
    {
        fixture.OpenAi.Script("huge", async (context, body) =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 70L << 20; // over the 64 MiB the proxy reads into memory
            await context.Response.WriteAsync("{\"id\":", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        });

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/huge"));
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("larger than 64 MiB", error["message"]!.ToString());
        Assert.Single(fixture.OpenAi.RequestsFor("huge"));
    }

    [Fact]
    public async Task A_stream_that_goes_silent_midway_ends_with_an_error_event()
    {
        fixture.OpenAi.Script("stalls", async (context, body) =>
        {
            context.Response.ContentType = "text/event-stream";
            await FakeOpenAiUpstream.SendAsync(context, FakeOpenAiUpstream.Chunk("stalls", new JsonObject { ["role"] = "assistant", ["content"] = "partial" }, null));
            await Task.Delay(TimeSpan.FromMinutes(1), context.RequestAborted); // past the fixture's 3 s idle timeout
        });

        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/stalls", stream: true)));

        Assert.Contains("partial", events[0]);
        var error = JsonNode.Parse(events[^1])!["error"]!;
        Assert.Equal("timeout", error["type"]!.ToString());
        Assert.DoesNotContain("[DONE]", events);
    }

    [Fact]
    public async Task A_client_that_goes_away_mid_stream_stops_the_upstream_call()
    {
        var upstreamCancelled = new TaskCompletionSource();
        var firstChunkSent = new TaskCompletionSource();
        fixture.OpenAi.Script("long-story", async (context, body) =>
        {
            context.Response.ContentType = "text/event-stream";
            try
            {
                for (var i = 0; i < 600; i++)
                {
                    await FakeOpenAiUpstream.SendAsync(context, FakeOpenAiUpstream.Chunk("long-story", new JsonObject { ["content"] = $"word{i} " }, null));
                    firstChunkSent.TrySetResult();
                    await Task.Delay(100, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                upstreamCancelled.TrySetResult();
            }
        });

        using (var client = fixture.Client("key-a"))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat("openai/long-story", stream: true)) };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
            await firstChunkSent.Task;
        } // the client hangs up here, a minute before the story ends

        await upstreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(upstreamCancelled.Task.IsCompletedSuccessfully);
    }
}
