using System.Net.Http.Headers;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Postgres;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Tests.Datasets;

/// <summary>
/// A fresh dpdb (its own PostgreSQL database, migrated by the service's scripts) and the dataset
/// and datapoint routes on a TestServer. chDB allows one connection per process, so the routes
/// share the query tests' store (<see cref="ApiFixture"/>); the events they read are seeded here
/// under the dataset tests' own projects. Small limits make the bounds testable.
/// </summary>
public sealed class DatasetsFixture : IAsyncLifetime
{
    public const string KeyA = "key-datasets-a";
    public const string KeyB = "key-datasets-b";
    public const int MaxDatasetsLimit = 5;
    public const int MaxDatapointsLimit = 5;
    public const int MaxItemsPerRequest = 20;
    public const int MaxDatapointBytes = 4096;
    public const int MaxBodyBytes = 64 * 1024;

    private readonly SemaphoreSlim startLock = new(1, 1);
    private WebApplication? app;

    private FreshDpdb database = null!;

    public NpgsqlDataSource Dpdb => database.DataSource;

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_datasets_");
    }

    /// <summary>Starts the routes over <paramref name="store"/> once, seeding the events the batch tests read.</summary>
    public async Task StartAsync(IAnalyticsStore store)
    {
        await startLock.WaitAsync();
        try
        {
            if (app is not null) return;
            await DatasetEvents.InsertAsync(store);

            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders();
            builder.Configuration["Datasets:MaxDatasetsLimit"] = MaxDatasetsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Datasets:MaxDatapointsLimit"] = MaxDatapointsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Datasets:MaxItemsPerRequest"] = MaxItemsPerRequest.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Datasets:MaxDatapointBytes"] = MaxDatapointBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Datasets:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Services.AddKeyedSingleton(DataPlaneApiModule.Database, Dpdb);
            builder.Services.AddSingleton(store);
            builder.Services.AddApiRequestErrors();
            builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
            builder.Services.AddAuthorization();
            builder.AddDataPlaneQueries();
            builder.AddDatasets();
            app = builder.Build();
            app.UseExceptionHandler();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapDatasetsApi();
            app.MapDatapointsApi();
            await app.StartAsync();
        }
        finally
        {
            startLock.Release();
        }
    }

    public HttpClient Client(string? key = KeyA)
    {
        var client = app!.GetTestClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        await database.DisposeAsync();
        startLock.Dispose();
    }
}

/// <summary>
/// Base of the dataset test classes: joins the query tests' collection (for its chDB store) and
/// starts the dataset routes before the first test.
/// </summary>
[Collection(ApiCollection.Name)]
public abstract class DatasetTestBase(ApiFixture api, DatasetsFixture fixture) : IClassFixture<DatasetsFixture>, IAsyncLifetime
{
    protected DatasetsFixture Fixture { get; } = fixture;

    protected HttpClient A => Fixture.Client(DatasetsFixture.KeyA);

    protected HttpClient B => Fixture.Client(DatasetsFixture.KeyB);

    public Task InitializeAsync() => Fixture.StartAsync(api.Counting);

    public Task DisposeAsync() => Task.CompletedTask;
}
