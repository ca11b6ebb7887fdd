using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Tests.Runs;

/// <summary>
/// The run routes on a TestServer over a fresh dpdb (a new PostgreSQL database, the DP migrations
/// applied) and the process's shared chDB, seeded with the events of <see cref="RunSeed"/> in
/// projects of their own. The two seeded runs are created through POST /v1/runs with fixed run_ids.
/// </summary>
public sealed class RunsFixture : IAsyncLifetime
{
    private WebApplication? app;

    private FreshDpdb database = null!;

    public NpgsqlDataSource Dpdb => database.DataSource;

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_runs_", RunTenants.All);

        var store = await SharedChdb.GetAsync("chdb");
        await RunSeed.InsertAsync(store);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IAnalyticsStore>(store);
        builder.Services.AddKeyedSingleton(DataPlaneApiModule.Database, Dpdb);
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(RunsAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, RunsAuthHandler>(RunsAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddRuns();
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRunsApi();
        await app.StartAsync();

        var a = Client(RunTenants.KeyA);
        await CreateAsync(a, new { run_id = RunSeed.OldRun, name = "baseline", dataset_id = RunSeed.Dataset, status = "completed" });
        // The old run's fourth session carries no run_id: it joins the run through event_ids, as the Python SDK declares sessions.
        var update = await a.PutAsJsonAsync($"/v1/runs/{RunSeed.OldRun}", new { event_ids = new[] { RunSeed.Session(RunSeed.OldRun, 4) } });
        update.EnsureSuccessStatusCode();
        await CreateAsync(a, new
        {
            run_id = RunSeed.NewRun, name = "candidate", dataset_id = RunSeed.Dataset, status = "completed",
            passing_ranges = new { accuracy = new { min = RunSeed.AccuracyMin } },
        });
        await CreateAsync(Client(RunTenants.KeyB), new { run_id = RunSeed.OtherProjectRun, name = "b-run" });
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
        await database.DisposeAsync();
    }

    private static async Task CreateAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/v1/runs", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}

[CollectionDefinition(Name)]
public sealed class RunsCollection : ICollectionFixture<RunsFixture>
{
    public const string Name = "runs";
}

/// <summary>Projects of the run tests only, so their counts never meet the other fixtures' seed.</summary>
public static class RunTenants
{
    public const string KeyA = "runs-key-a";
    public const string KeyB = "runs-key-b";
    public const string KeyList = "runs-key-list";

    public static readonly ApiKeyIdentity A = Identity("a1000000-0000-4000-8000-00000000000a", "runs-a");
    public static readonly ApiKeyIdentity B = Identity("b1000000-0000-4000-8000-00000000000b", "runs-b");

    /// <summary>A project for the list tests: it holds only the runs those tests create.</summary>
    public static readonly ApiKeyIdentity List = Identity("c1000000-0000-4000-8000-00000000000c", "runs-list");

    public static IReadOnlyList<ApiKeyIdentity> All => [A, B, List];

    public static ApiKeyIdentity? ByKey(string key) => key switch
    {
        KeyA => A,
        KeyB => B,
        KeyList => List,
        _ => null,
    };

    private static ApiKeyIdentity Identity(string project, string name) => new(
        Guid.NewGuid(), Guid.Parse(project), Guid.Parse("99999999-9999-4999-8999-999999999999"),
        Guid.Parse("88888888-8888-4888-8888-888888888888"), name, ApiScopes.All);
}

/// <summary>A bearer token names a run-test tenant; the principal is the production ApiKeyIdentity's.</summary>
public sealed class RunsAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "RunsTest";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return Task.FromResult(AuthenticateResult.NoResult());
        var tenant = RunTenants.ByKey(header["Bearer ".Length..]);
        return Task.FromResult(tenant is null
            ? AuthenticateResult.Fail("unknown key")
            : AuthenticateResult.Success(new AuthenticationTicket(tenant.ToPrincipal(SchemeName), SchemeName)));
    }
}
