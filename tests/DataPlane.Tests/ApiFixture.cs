using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using HoneyHive.Platform.Objects;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// The process's one chDB connection over an empty folder under HH_TEST_DATA, migrated and seeded
/// with events for three projects, and the query routes on a TestServer.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const int ExportRows = 50_000;
    public const int ExportChunk = 2_000;
    public const int ExactCountMaxRows = 10_000;

    private WebApplication? app;

    public ChdbAnalyticsStore Store { get; private set; } = null!;

    /// <summary>The object store the routes read moved payloads from.</summary>
    public FileSystemObjectStore Objects { get; private set; } = null!;

    /// <summary>The real store, counting the queries the routes issue (the export test reads it).</summary>
    public CountingStore Counting { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Shared with the other fixtures of this process (chDB allows one connection per process).
        Store = await SharedChdb.GetAsync("chdb");
        await SeedData.InsertAsync(Store);
        Counting = new CountingStore(Store);
        Objects = new FileSystemObjectStore(Path.Combine(TestServers.DataDirectory, "dp-objects"), NullLogger<FileSystemObjectStore>.Instance);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["Queries:ExportChunkSize"] = ExportChunk.ToString(CultureInfo.InvariantCulture);
        // Project C's ExportRows rows are above it, the other projects' seeds below: both kinds of total are tested.
        builder.Configuration["Queries:ExactCountMaxRows"] = ExactCountMaxRows.ToString(CultureInfo.InvariantCulture);
        builder.Services.AddSingleton<IAnalyticsStore>(Counting);
        builder.Services.AddSingleton<IObjectStore>(Objects);
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddDataPlaneQueries();
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapEventsApi();
        app.MapSessionsApi();
        await app.StartAsync();
    }

    public HttpClient Client(string? key)
    {
        var client = app!.GetTestClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
    }

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

/// <summary>Delegates to the real store and counts queries, so a test can see how far a streaming route has read.</summary>
public sealed class CountingStore(IAnalyticsStore inner) : IAnalyticsStore
{
    private int queries;

    public int Queries => Volatile.Read(ref queries);

    public string Backend => inner.Backend;

    public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
        inner.ExecuteAsync(sql, parameters, cancellationToken);

    public Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref queries);
        return inner.QueryAsync(sql, parameters, cancellationToken);
    }

    public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) =>
        inner.InsertJsonEachRowAsync(table, rows, cancellationToken);

    public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        inner.InsertAsync(table, format, data, cancellationToken);
}
