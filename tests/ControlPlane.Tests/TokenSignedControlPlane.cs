using System.Text.Json.Nodes;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>
/// The control-plane module on a TestServer over a fresh cpdb (migrated and bootstrapped as at a real start), the test
/// NATS and Redis, with <see cref="TestTokens"/> in place of the CP's signing key ring: tests insert users, orgs and
/// roles directly and call the routes with tokens minted for those users (the CP reads their grants live anyway).
/// Sign-in itself, with the real key ring and a moved clock, is <see cref="ControlPlaneApp"/>'s.
/// </summary>
public abstract class TokenSignedControlPlane : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private readonly string bootstrapDirectory = Path.Combine(Path.GetTempPath(), $"hh-cp-{Guid.NewGuid():N}");

    public TestTokens Tokens { get; } = new();

    public WebApplication App { get; private set; } = null!;

    public NpgsqlDataSource Cpdb => database.DataSource;

    /// <summary>What the first start wrote to bootstrap.json: the org, workspace and project ids, the admin and the key.</summary>
    public JsonNode Bootstrap { get; private set; } = null!;

    /// <summary>Settings a fixture adds to the common ones.</summary>
    protected virtual void Configure(ConfigurationManager configuration)
    {
    }

    public virtual async Task InitializeAsync()
    {
        await database.InitializeAsync();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        // Server errors reach the test output (a 500 otherwise shows only its trace id).
        if (Environment.GetEnvironmentVariable("HH_TEST_CP_LOG") is { Length: > 0 }) builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Error);
        var bootstrapPath = Path.Combine(bootstrapDirectory, "bootstrap.json");
        builder.Configuration["ConnectionStrings:cpdb"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:nats"] = TestServers.NatsUrl;
        builder.Configuration["ConnectionStrings:redis"] = TestServers.Redis;
        builder.Configuration["State:KeyPrefix"] = $"hh-cp-{Guid.NewGuid():N}:";
        builder.Configuration["Bootstrap:OutputPath"] = bootstrapPath;
        Configure(builder.Configuration);
        builder.AddServiceDefaults();
        builder.AddControlPlaneApi();
        builder.Services.RemoveAll<ISigningKeySource>();
        builder.Services.AddSingleton<ISigningKeySource>(Tokens);
        App = builder.Build();
        App.MapDefaultEndpoints();
        App.MapControlPlaneApi();
        await App.StartAsync();
        Bootstrap = JsonNode.Parse(await File.ReadAllTextAsync(bootstrapPath))!;
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await database.DisposeAsync();
        Tokens.Dispose();
        if (Directory.Exists(bootstrapDirectory)) Directory.Delete(bootstrapDirectory, recursive: true);
    }
}
