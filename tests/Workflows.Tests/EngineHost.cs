using System.Net;
using System.Net.Sockets;
using Dapr.Workflow;
using HoneyHive.WorkflowBackend;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Workflows.Tests;

/// <summary>
/// A single-node process as the Host composes it: <c>AddWorkflowEngine</c> in Local mode (the SDK's real worker and
/// client, the embedded backend on a loopback HTTP/2 port of its own) over the given database and task hub.
/// </summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private EngineHost(WebApplication app, ActivityGate gate, Uri address)
    {
        this.app = app;
        Gate = gate;
        Address = address;
    }

    /// <summary>The embedded backend's gRPC address.</summary>
    public Uri Address { get; }

    public ActivityGate Gate { get; }

    public DaprWorkflowClient Client => app.Services.GetRequiredService<DaprWorkflowClient>();

    public static async Task<EngineHost> StartAsync(string connectionString, string hub, bool gateOpen = true,
        Action<WebApplicationBuilder>? configure = null)
    {
        var port = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hosting:Mode"] = "Local",
            ["ConnectionStrings:dpdb"] = connectionString,
            [$"Kestrel:Endpoints:{WorkflowEngineExtensions.Endpoint}:Url"] = $"http://127.0.0.1:{port}",
            [$"Kestrel:Endpoints:{WorkflowEngineExtensions.Endpoint}:Protocols"] = "Http2",
            ["WorkflowBackend:TaskHub"] = hub,
            ["WorkflowBackend:MaxConcurrentActivities"] = "16",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        var gate = new ActivityGate();
        if (gateOpen) gate.Open();
        builder.Services.AddSingleton(gate);
        builder.AddWorkflowEngine(TestWorkflows.Register);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapWorkflowBackend().RequireHost($"*:{port}");
        await app.StartAsync();
        return new EngineHost(app, gate, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>Stops the process as a crash would leave things: whatever its workers held stays unfinished.</summary>
    public async Task StopAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await app.StopAsync(limit.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Gate.Open();
        await StopAsync();
        await app.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<WorkflowState> CompletedAsync(DaprWorkflowClient client, string id)
    {
        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        return await client.WaitForWorkflowCompletionAsync(id, getInputsAndOutputs: true, limit.Token);
    }
}
