using HoneyHive.PythonMetric;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.PythonMetric.Tests;

/// <summary>The dp-python-metric app composed as its Program.cs does, on Kestrel at 127.0.0.1:0, with a real worker pool.</summary>
public sealed class PythonMetricApp : IAsyncDisposable
{
    private readonly WebApplication app;

    private PythonMetricApp(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <param name="mode">Hosting:Mode, Dapr or Local.</param>
    /// <param name="appToken">APP_API_TOKEN; null leaves it unset.</param>
    public static async Task<PythonMetricApp> StartAsync(string mode, string? appToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Hosting:Mode"] = mode;
        builder.Configuration["APP_API_TOKEN"] = appToken;
        builder.Configuration["PythonMetric:PythonLibrary"] = TestServers.PythonLibrary;
        builder.Configuration["PythonMetric:RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        builder.Configuration["PythonMetric:Workers"] = "1";
        builder.Configuration["PythonMetric:Preload:0"] = "json";
        builder.AddServiceDefaults();
        builder.AddPythonMetric();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPythonMetric();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new PythonMetricApp(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
