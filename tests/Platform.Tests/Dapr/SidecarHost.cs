using Dapr.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>The recording sidecar served by Kestrel on 127.0.0.1:0 over cleartext HTTP/2, and a DaprClient pointed at it.</summary>
public sealed class SidecarHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private SidecarHost(WebApplication app, RecordingSidecar sidecar, Uri address)
    {
        this.app = app;
        Sidecar = sidecar;
        Address = address;
        Client = new DaprClientBuilder()
            .UseGrpcEndpoint(address.ToString())
            .UseHttpEndpoint(address.ToString())
            .Build();
    }

    public RecordingSidecar Sidecar { get; }

    public Uri Address { get; }

    public DaprClient Client { get; }

    public static async Task<SidecarHost> StartAsync()
    {
        var sidecar = new RecordingSidecar();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(sidecar);
        var app = builder.Build();
        app.MapGrpcService<RecordingSidecar>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SidecarHost(app, sidecar, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
