using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Bench.Proxy;

/// <summary>
/// The provider `bench proxy` calls, in this process on loopback: OpenAI's chat completions wire format, answering at
/// once (no model time), so what a call through the proxy adds over a direct call is the proxy's own cost. Model
/// <c>fast</c> answers a small completion, or streams it in 6 chunks back to back; model <c>hold</c> streams one chunk
/// a second for <see cref="HoldSeconds"/> seconds (the concurrent-streams test); model <c>slow</c> answers after
/// <see cref="SlowLatency"/> (bench eval), and any request for a JSON object gets a judge's score.
/// </summary>
public sealed class BenchUpstream : IAsyncDisposable
{
    public const int HoldSeconds = 10;

    private static readonly byte[] Completion = Encoding.UTF8.GetBytes(new JsonObject
    {
        ["id"] = "chatcmpl-bench",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = "fast",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "The capital of France is Paris." },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 14, ["completion_tokens"] = 7, ["total_tokens"] = 21 },
    }.ToJsonString());

    /// <summary>What model <c>slow</c> takes before answering: the model time of `bench eval`.</summary>
    public static readonly TimeSpan SlowLatency = TimeSpan.FromMilliseconds(200);

    /// <summary>A judge's answer: the score <see cref="JudgeScore"/> on a 1-5 scale with its explanation.</summary>
    public const int JudgeScore = 4;

    private static readonly byte[] JudgeCompletion = Encoding.UTF8.GetBytes(new JsonObject
    {
        ["id"] = "chatcmpl-judge",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = "slow",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonObject { ["score"] = JudgeScore, ["explanation"] = "Relevant and correct." }.ToJsonString(),
            },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 60, ["completion_tokens"] = 12, ["total_tokens"] = 72 },
    }.ToJsonString());

    private readonly WebApplication app;

    private BenchUpstream(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The OpenAI-style base URL (…/v1).</summary>
    public string BaseUrl { get; }

    public static async Task<BenchUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchUpstream(app, address + "/v1");
    }

    private static async Task AnswerAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var stream = body["stream"] is JsonValue flag && flag.GetValue<bool>();
        // Model "slow" takes a model's time (bench eval): SlowLatency before any answer.
        if (body["model"]?.ToString() == "slow") await Task.Delay(SlowLatency, context.RequestAborted);
        // A judge asks for a JSON object (response_format json_object): it gets a score with an explanation.
        if (!stream && body["response_format"]?["type"]?.ToString() == "json_object")
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(JudgeCompletion, context.RequestAborted);
            return;
        }
        if (!stream)
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(Completion, context.RequestAborted);
            return;
        }

        var hold = body["model"]?.ToString() == "hold";
        var words = hold ? Enumerable.Range(1, HoldSeconds).Select(i => $"tick{i} ").ToArray() : ["The ", "capital ", "of ", "France ", "is ", "Paris."];
        context.Response.ContentType = "text/event-stream";
        await WriteAsync(context, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        foreach (var word in words)
        {
            if (hold) await Task.Delay(TimeSpan.FromSeconds(1), context.RequestAborted);
            await WriteAsync(context, Chunk(new JsonObject { ["content"] = word }, null));
        }
        await WriteAsync(context, Chunk(new JsonObject(), "stop"));
        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
        {
            var usage = Chunk(null, null);
            usage["usage"] = new JsonObject { ["prompt_tokens"] = 14, ["completion_tokens"] = words.Length, ["total_tokens"] = 14 + words.Length };
            await WriteAsync(context, usage);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private static JsonObject Chunk(JsonObject? delta, string? finishReason) => new()
    {
        ["id"] = "chatcmpl-bench",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = "fast",
        ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
    };

    private static async Task WriteAsync(HttpContext context, JsonObject chunk)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
