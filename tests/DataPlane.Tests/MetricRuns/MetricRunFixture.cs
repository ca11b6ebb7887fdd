using System.Net.Http.Headers;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Evaluation;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using HoneyHive.PythonMetric;
using HoneyHive.PythonMetric.Pool;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.MetricRuns;

/// <summary>
/// The metric run routes on a TestServer over the real Python worker pool (two workers, as the Host runs it) and the
/// shared chDB, seeded with one event for each of the run tests' projects. A second app has the routes without the
/// Python module and the evaluation engine, as DataPlane.Api alone in Local mode; a third has a pool of one worker and no queue.
/// </summary>
public sealed class MetricRunFixture : IAsyncLifetime
{
    public const string EventA = "e5000000-0000-4000-8000-0000000000a1";
    public const string EventB = "e5000000-0000-4000-8000-0000000000b1";

    private WebApplication? app;
    private WebApplication? withoutPython;
    private WebApplication? saturated;

    public PythonWorkerPool Pool => app!.Services.GetRequiredService<PythonWorkerPool>();

    public async Task InitializeAsync()
    {
        var store = await SharedChdb.GetAsync("chdb");
        await store.InsertJsonEachRowAsync("events", SeedData.Encode(
        [
            SeedData.Row(Tenants.RunsA.ProjectId.ToString(), EventA, EventA, "", "model", "answer", 0, 10,
                inputs: new { question = "capital of France?" }, outputs: new { content = "Paris" }, feedback: new { ground_truth = "Paris" }),
            SeedData.Row(Tenants.RunsB.ProjectId.ToString(), EventB, EventB, "", "model", "answer", 0, 10,
                inputs: new { question = "secret of B" }, outputs: new { content = "B's secret answer" }, feedback: new { ground_truth = "B" }),
        ]), CancellationToken.None);

        app = await StartAsync(store, python: true);
        withoutPython = await StartAsync(store, python: false);
        saturated = await StartAsync(store, python: true, saturated: true);
    }

    private static async Task<WebApplication> StartAsync(IAnalyticsStore store, bool python, bool saturated = false)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["PythonMetric:PythonLibrary"] = TestServers.PythonLibrary;
        builder.Configuration["PythonMetric:RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        builder.Configuration["PythonMetric:Workers"] = "2";
        if (saturated)
        {
            // One worker, no waiting room: while a run holds the worker, the project's next run is refused at once.
            builder.Configuration["PythonMetric:Workers"] = "1";
            builder.Configuration["PythonMetric:Spares"] = "0";
            builder.Configuration["PythonMetric:MaxWorkersPerProject"] = "1";
            builder.Configuration["PythonMetric:MaxQueuedPerProject"] = "0";
            builder.Configuration["MetricRuns:TimeoutMs"] = "60000";
        }

        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IObjectStore>(new FileSystemObjectStore(Path.Combine(TestServers.DataDirectory, "runs-objects"), NullLogger<FileSystemObjectStore>.Instance));
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddDataPlaneQueries();
        // Runs go through the evaluation engine as in the Host; without the Python module nothing composes the engine either.
        if (python) builder.AddPythonMetric().AddEvaluators();
        // The saturated app's long timeout must reach the runs (the DP module binds it in the Host), or the held worker
        // is freed after the default 5 s, which a loaded machine can spend before the refused run is even sent.
        builder.Services.AddOptions<MetricRunOptions>().Bind(builder.Configuration.GetSection(MetricRunOptions.Section));
        var built = builder.Build();
        built.UseExceptionHandler();
        built.UseAuthentication();
        built.UseAuthorization();
        built.MapMetricRunsApi();
        await built.StartAsync();
        return built;
    }

    public HttpClient Client(string key = "key-runs-a", bool python = true, bool saturated = false)
    {
        var client = (saturated ? this.saturated! : python ? app! : withoutPython!).GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        if (withoutPython is not null) await withoutPython.DisposeAsync();
        if (saturated is not null) await saturated.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class MetricRunCollection : ICollectionFixture<MetricRunFixture>
{
    public const string Name = "metric-runs";
}
