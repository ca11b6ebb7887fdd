using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Providers;

/// <summary>
/// What the providers' fakes share: Kestrel on loopback, every request recorded (path, headers, body), and answers
/// scripted per model in order, else the fake's default answer.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, JsonObject, Task>>> scripts = new();
    private WebApplication app = null!;

    public ConcurrentQueue<ProviderRequest> Requests { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public static async Task<FakeProviderServer> StartAsync(Action<WebApplication, FakeProviderServer> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var server = new FakeProviderServer { app = builder.Build() };
        map(server.app, server);
        await server.app.StartAsync();
        server.BaseUrl = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    public void Script(string model, params Func<HttpContext, JsonObject, Task>[] answers)
    {
        var queue = scripts.GetOrAdd(model, _ => new ConcurrentQueue<Func<HttpContext, JsonObject, Task>>());
        foreach (var answer in answers) queue.Enqueue(answer);
    }

    public IReadOnlyList<ProviderRequest> RequestsFor(string model) => [.. Requests.Where(r => r.Model == model)];

    /// <summary>Records the request and returns its body and the scripted answer for its model, if any.</summary>
    /// <param name="model">The model the path names; null when the body's <c>model</c> names it.</param>
    public async Task<(JsonObject Body, string Model, Func<HttpContext, JsonObject, Task>? Scripted)> ReceiveAsync(HttpContext context, string? model = null)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        model ??= body["model"]?.ToString() ?? "";
        Requests.Enqueue(new ProviderRequest(model, context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
        return (body, model, scripts.TryGetValue(model, out var queue) && queue.TryDequeue(out var answer) ? answer : null);
    }

    public static async Task WriteEventAsync(HttpContext context, string? eventName, JsonNode data)
    {
        var text = (eventName is null ? "" : $"event: {eventName}\n") + "data: " + data.ToJsonString() + "\n\n";
        await context.Response.WriteAsync(text, Encoding.UTF8, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

public sealed record ProviderRequest(string Model, string Path, IReadOnlyDictionary<string, string> Headers, JsonObject Body);
