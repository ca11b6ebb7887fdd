using System.Net.Http.Headers;
using System.Security.Cryptography;
using Dapper;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Tests.Definitions;

/// <summary>
/// A fresh dpdb on the test PostgreSQL server (dropped afterwards), migrated by the production
/// migrations, with the test tenants' projects in it, and the metric, configuration and
/// provider-secret and saved-chart routes on a TestServer. No ClickHouse is involved.
/// </summary>
public sealed class DefinitionsFixture : IAsyncLifetime
{
    private FreshDpdb database = null!;
    private WebApplication? app;

    /// <summary>The master key the routes encrypt under.</summary>
    public byte[] MasterKey { get; } = RandomNumberGenerator.GetBytes(32);

    public NpgsqlDataSource DataSource => database.DataSource;

    public string ConnectionString => database.ConnectionString;

    public IServiceProvider Services => app!.Services;

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_defs_", [Tenants.A, Tenants.B, Tenants.C, Tenants.D]);
        var connectionString = database.ConnectionString;

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:dpdb"] = connectionString;
        builder.Configuration["Secrets:MasterKey"] = Convert.ToBase64String(MasterKey);
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddDefinitionStores();
        builder.AddProviderSecrets();
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMetricsApi();
        app.MapConfigurationsApi();
        app.MapSecretsApi();
        app.MapChartsApi();
        await app.StartAsync();
    }

    public HttpClient Client(string key)
    {
        var client = app!.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A store over this database with its own master keys (current first), as another process would have.</summary>
    public ProviderSecretStore SecretStore(byte[] current, params byte[][] previous) =>
        new(DataSource, new EnvelopeCipher(MasterKeyRing.FromKeys(current, previous)),
            new OutboundGuard(Options.Create(new OutboundGuardOptions()), new DnsOutboundResolver()), NullLogger<ProviderSecretStore>.Instance);

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        await database.DisposeAsync();
    }
}
