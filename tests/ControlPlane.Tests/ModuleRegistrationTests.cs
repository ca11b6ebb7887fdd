using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Controller;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using StackExchange.Redis;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>
/// Each service registers only the platform parts it uses: <c>AddServiceDefaults</c> adds none, so the
/// control plane and the controllers carry no ClickHouse, NATS, Redis or object store, nor their health
/// checks (which would fail /health on a CP that has no reason to reach them).
/// </summary>
public sealed class ModuleRegistrationTests
{
    private static readonly string[] PlatformChecks = ["analytics", "nats", "redis", "objectstore"];

    [Fact]
    public void Service_defaults_alone_register_no_platform_part()
    {
        var parts = Compose(_ => { });
        Assert.Empty(parts.Services);
        Assert.Equal(new[] { "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Control_plane_api_registers_cpdb_and_no_platform_part()
    {
        var parts = Compose(b => b.AddControlPlaneApi());
        Assert.Empty(parts.Services);
        Assert.Equal(new[] { "cpdb", "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Control_plane_controller_registers_cpdb_and_no_platform_part()
    {
        var parts = Compose(b => b.AddControlPlaneController());
        Assert.Empty(parts.Services);
        Assert.Equal(new[] { "cpdb", "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Data_plane_controller_registers_dpdb_and_no_platform_part()
    {
        var parts = Compose(b => b.AddDataPlaneController());
        Assert.Empty(parts.Services);
        Assert.DoesNotContain(parts.HealthChecks, PlatformChecks.Contains);
    }

    [Fact]
    public void Data_plane_api_registers_analytics_and_object_store_only()
    {
        var parts = Compose(b => b.AddDataPlaneApi());
        Assert.Equal(new[] { nameof(IAnalyticsStore), nameof(IObjectStore) }, parts.Services);
        Assert.Equal(new[] { "analytics", "dpdb", "objectstore", "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Control_and_data_plane_modules_composed_in_one_host_register_each_check_once()
    {
        var parts = Compose(b => b.AddControlPlaneApi().AddControlPlaneController().AddDataPlaneApi().AddDataPlaneController());
        Assert.Equal(parts.HealthChecks.Distinct(StringComparer.Ordinal), parts.HealthChecks);
        Assert.Single(parts.Descriptors, d => d.ServiceType == typeof(IAnalyticsStore));
    }

    private sealed record Parts(IReadOnlyList<string> Services, IReadOnlyList<string> HealthChecks, IServiceCollection Descriptors);

    /// <summary>A service's builder as its Program.cs makes it; nothing is started or connected.</summary>
    private static Parts Compose(Action<HostApplicationBuilder> module)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cpdb"] = "Host=127.0.0.1;Database=unused",
            ["ConnectionStrings:dpdb"] = "Host=127.0.0.1;Database=unused",
            ["ConnectionStrings:nats"] = "nats://127.0.0.1:1",
            ["ConnectionStrings:redis"] = "127.0.0.1:1",
        });
        builder.AddServiceDefaults();
        module(builder);

        Type[] platform = [typeof(IAnalyticsStore), typeof(IEventPublisher), typeof(IStateStore), typeof(IObjectStore),
            typeof(INatsConnection), typeof(IConnectionMultiplexer)];
        var services = platform.Where(t => builder.Services.Any(d => d.ServiceType == t)).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        using var provider = builder.Services.BuildServiceProvider();
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Select(r => r.Name).Order(StringComparer.Ordinal).ToList();
        return new Parts(services, checks, builder.Services);
    }
}
