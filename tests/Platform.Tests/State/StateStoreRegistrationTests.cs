using System.Net;
using System.Net.Sockets;
using System.Text;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace HoneyHive.Platform.Tests.State;

public sealed class StateStoreRegistrationTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider services, string name)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == name);
        return Assert.Single(report.Entries, e => e.Key == name).Value;
    }

    [Fact]
    public async Task Local_mode_registers_the_redis_store_on_one_shared_connection()
    {
        var builder = Builder(new()
        {
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["State:KeyPrefix"] = fixture.KeyPrefix + "reg:",
        });
        builder.AddStateStore();
        builder.AddRedisConnection(); // a second caller (a cache) must not add a second connection
        using var host = builder.Build();

        Assert.Single(builder.Services, d => d.ServiceType == typeof(IConnectionMultiplexer));
        var store = Assert.IsType<RedisStateStore>(host.Services.GetRequiredService<IStateStore>());
        Assert.True(await store.TrySaveAsync("k", Encoding.UTF8.GetBytes("v"), null, CancellationToken.None));
        Assert.True(await fixture.Redis.GetDatabase().KeyExistsAsync(fixture.KeyPrefix + "reg:k"));

        var health = await CheckAsync(host.Services, "redis");
        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public void The_key_prefix_defaults_to_hh()
    {
        Assert.Equal("hh:", RedisConnectionExtensions.DefaultKeyPrefix);
    }

    [Fact]
    public void Dapr_mode_registers_the_dapr_state_store()
    {
        var builder = Builder(new() { ["Hosting:Mode"] = "Dapr" });
        builder.AddStateStore();
        using var services = builder.Services.BuildServiceProvider();

        Assert.IsType<DaprStateStore>(services.GetRequiredService<IStateStore>());
    }

    [Fact]
    public async Task The_app_starts_while_redis_is_down_and_health_says_so()
    {
        var builder = Builder(new() { ["ConnectionStrings:redis"] = $"127.0.0.1:{ClosedPort()},connectTimeout=500" });
        builder.AddStateStore();
        using var host = builder.Build();

        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        Assert.False(redis.IsConnected);

        var health = await CheckAsync(host.Services, "redis");
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
    }

    [Fact]
    public void A_missing_connection_string_fails_with_its_name()
    {
        var builder = Builder([]);
        builder.AddStateStore();
        using var host = builder.Build();
        var ex = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<IStateStore>());
        Assert.Contains("ConnectionStrings:redis", ex.Message);
    }

    /// <summary>A loopback port nothing listens on: bound by the OS, then released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
