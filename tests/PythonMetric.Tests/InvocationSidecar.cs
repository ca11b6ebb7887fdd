using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.PythonMetric.Tests;

/// <summary>
/// Stands in for daprd's HTTP service invocation (the one part that cannot run here): answers
/// <c>POST /v1.0/invoke/{app-id}/method/{method}</c>, records what the caller sent, and delivers it to the target
/// app as daprd does: the same method path and body, plus <c>dapr-api-token</c> when the sidecar holds the app's
/// token (<see cref="AppToken"/>). The app's answer (status, body, Retry-After) goes back unchanged.
/// </summary>
public sealed class InvocationSidecar : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient toApp;

    private InvocationSidecar(WebApplication app, Uri target, Uri address)
    {
        this.app = app;
        Address = address;
        toApp = new HttpClient { BaseAddress = target };
    }

    public Uri Address { get; }

    /// <summary>The app API token this sidecar presents to the app (APP_API_TOKEN of its daprd); null sends none.</summary>
    public string? AppToken { get; set; }

    public ConcurrentQueue<Invocation> Calls { get; } = new();

    public sealed record Invocation(string AppId, string Method, IReadOnlyDictionary<string, string> Headers, string Body);

    public static async Task<InvocationSidecar> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        InvocationSidecar? sidecar = null;
        app.MapPost("/v1.0/invoke/{appId}/method/{**method}", (HttpContext context, string appId, string method) => sidecar!.ForwardAsync(context, appId, method));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        sidecar = new InvocationSidecar(app, target, address);
        return sidecar;
    }

    private async Task ForwardAsync(HttpContext context, string appId, string method)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        Calls.Enqueue(new Invocation(appId, method,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal), body));

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(method, UriKind.Relative))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (AppToken is not null) request.Headers.Add("dapr-api-token", AppToken);
        using var answer = await toApp.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        if (answer.Headers.RetryAfter is { } retryAfter) context.Response.Headers.RetryAfter = retryAfter.ToString();
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
        await context.Response.WriteAsync(await answer.Content.ReadAsStringAsync(context.RequestAborted), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        toApp.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
