using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// An OpenAI API server written for the tests (Kestrel on loopback), speaking OpenAI's documented wire format:
/// <c>/v1/chat/completions</c> (JSON and SSE), <c>/v1/embeddings</c>. Each request is recorded with its headers; a
/// test scripts the answers for a model name with <see cref="Script"/>, otherwise the model answers
/// "echo: &lt;last user message&gt;" with usage.
/// </summary>
public sealed class FakeOpenAiUpstream : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, JsonObject, Task>>> scripts = new();

    public ConcurrentQueue<UpstreamRequest> Requests { get; } = new();

    private FakeOpenAiUpstream(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<FakeOpenAiUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // A test folder may hold a service's appsettings.json (the Host's, with HTTP/2-only Kestrel endpoints): not ours.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new FakeOpenAiUpstream(app);
        app.MapPost("/v1/chat/completions", upstream.ChatAsync);
        app.MapPost("/v1/embeddings", upstream.EmbeddingsAsync);
        app.MapPost("/openai/deployments/{deployment}/chat/completions", upstream.ChatAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.BaseUrl = address + "/v1";
        upstream.Root = address;
        return upstream;
    }

    /// <summary>The server's root (http://127.0.0.1:port), for Azure-style deployment URLs.</summary>
    public string Root { get; private set; } = "";

    /// <summary>The next calls for <paramref name="model"/> are answered by these handlers, in order.</summary>
    public void Script(string model, params Func<HttpContext, JsonObject, Task>[] answers)
    {
        var queue = scripts.GetOrAdd(model, _ => new ConcurrentQueue<Func<HttpContext, JsonObject, Task>>());
        foreach (var answer in answers) queue.Enqueue(answer);
    }

    public IEnumerable<UpstreamRequest> RequestsFor(string model) => Requests.Where(r => r.Body["model"]?.ToString() == model);

    private async Task ChatAsync(HttpContext context)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        Requests.Enqueue(new UpstreamRequest(context.Request.Path + context.Request.QueryString, context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
        var model = body["model"]?.ToString() ?? "";
        if (scripts.TryGetValue(model, out var queue) && queue.TryDequeue(out var answer))
        {
            await answer(context, body);
            return;
        }
        var text = "echo: " + (body["messages"] as JsonArray)?.LastOrDefault()?["content"];
        if (body["stream"]?.GetValue<bool>() == true) await StreamTextAsync(context, model, text, body);
        else await context.Response.WriteAsJsonAsync(Completion(model, text));
    }

    private async Task EmbeddingsAsync(HttpContext context)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        Requests.Enqueue(new UpstreamRequest(context.Request.Path.ToString(), context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(new JsonObject { ["object"] = "embedding", ["index"] = 0, ["embedding"] = new JsonArray(0.1, 0.2, 0.3) }),
            ["model"] = body["model"]?.ToString(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 4, ["total_tokens"] = 4 },
        });
    }

    public static JsonObject Completion(string model, string text) => new()
    {
        ["id"] = "chatcmpl-test",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 11, ["completion_tokens"] = 7, ["total_tokens"] = 18 },
    };

    /// <summary>The text as OpenAI streams it: a role chunk, one chunk per word, a finish chunk, the usage chunk when asked, [DONE].</summary>
    public static async Task StreamTextAsync(HttpContext context, string model, string text, JsonObject request, TimeSpan? delay = null)
    {
        context.Response.ContentType = "text/event-stream";
        await SendAsync(context, Chunk(model, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        foreach (var (word, i) in text.Split(' ').Select((w, i) => (w, i)))
        {
            if (delay is { } wait) await Task.Delay(wait, context.RequestAborted);
            await SendAsync(context, Chunk(model, new JsonObject { ["content"] = (i == 0 ? "" : " ") + word }, null));
        }
        await SendAsync(context, Chunk(model, new JsonObject(), "stop"));
        if (request["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
        {
            var usage = Chunk(model, null, null);
            usage["choices"] = new JsonArray();
            usage["usage"] = new JsonObject { ["prompt_tokens"] = 11, ["completion_tokens"] = 7, ["total_tokens"] = 18 };
            await SendAsync(context, usage);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    public static JsonObject Chunk(string model, JsonObject? delta, string? finishReason) => new()
    {
        ["id"] = "chatcmpl-test",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = model,
        ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
    };

    public static async Task SendAsync(HttpContext context, JsonObject chunk)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", Encoding.UTF8, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>An OpenAI error answer with <paramref name="status"/>, and a retry-after when given.</summary>
    public static Func<HttpContext, JsonObject, Task> Error(int status, string message, string type = "server_error", int? retryAfterSeconds = null) =>
        async (context, _) =>
        {
            context.Response.StatusCode = status;
            if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = null } });
        };

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

public sealed record UpstreamRequest(string Path, IReadOnlyDictionary<string, string> Headers, JsonObject Body);
