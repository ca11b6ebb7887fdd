using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// A real HTTP server on 127.0.0.1 serving a JWKS document of <see cref="TestTokens"/> keys, as the control plane's
/// /.well-known/jwks.json does, so the data plane under test really fetches it. It counts the fetches, can fail them,
/// and can hold its answers until released (to make concurrent fetches overlap).
/// </summary>
public sealed class JwksServer : IAsyncDisposable
{
    public const string Path = "/.well-known/jwks.json";

    private readonly WebApplication app;
    private int requests;
    private volatile string document = """{"keys":[]}""";
    private volatile int failStatus;
    private volatile TaskCompletionSource? hold;

    private JwksServer(WebApplication app) => this.app = app;

    /// <summary>The JWKS URL (<c>Auth:Tokens:JwksUrl</c>).</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Fetches answered so far (failed ones included).</summary>
    public int Requests => Volatile.Read(ref requests);

    public static async Task<JwksServer> StartAsync(params TestTokens[] keys)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Not the appsettings.json beside the assembly (the Host's, with its Kestrel endpoints): loopback, any free port.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new JwksServer(app);
        server.Serve(keys);
        app.MapGet(Path, server.AnswerAsync);
        await app.StartAsync();
        server.Url = new Uri(new Uri(app.Urls.First()), Path);
        return server;
    }

    /// <summary>From now on the document lists exactly <paramref name="keys"/> (a rotation).</summary>
    public void Serve(params TestTokens[] keys) =>
        document = System.Text.Json.JsonSerializer.Serialize(new { keys = keys.Select(k => k.PublicJwk) });

    /// <summary>From now on the document is <paramref name="json"/> as given.</summary>
    public void ServeRaw(string json) => document = json;

    /// <summary>Answer every fetch with <paramref name="status"/> (0 to stop failing).</summary>
    public void Fail(HttpStatusCode status) => failStatus = (int)status;

    /// <summary>Fetches wait until <see cref="Release"/>.</summary>
    public void Hold() => hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => hold?.TrySetResult();

    private async Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref requests);
        if (hold is { } waiting) await waiting.Task;
        if (failStatus != 0)
        {
            context.Response.StatusCode = failStatus;
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(document);
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await app.DisposeAsync();
    }
}
