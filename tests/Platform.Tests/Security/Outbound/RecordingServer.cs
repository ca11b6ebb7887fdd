using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Tests.Security.Outbound;

/// <summary>A loopback HTTP server that records every request (method, path, headers) and answers as the test says.</summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private RecordingServer(WebApplication app) => this.app = app;

    public ConcurrentQueue<(string Method, string Path, Dictionary<string, string> Headers)> Requests { get; } = new();

    public int Port { get; private set; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public static async Task<RecordingServer> StartAsync(Func<HttpContext, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new RecordingServer(app);
        app.Run(async context =>
        {
            server.Requests.Enqueue((context.Request.Method, context.Request.Path.ToString(),
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
            await answer(context);
        });
        await app.StartAsync();
        server.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
