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
/// a second for <see cref="HoldSeconds"/> seconds (the concurrent-streams test).
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
