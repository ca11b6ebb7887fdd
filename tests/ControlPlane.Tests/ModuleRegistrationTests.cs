using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Controller;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using StackExchange.Redis;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>
/// Each service registers only the platform parts it uses: <c>AddServiceDefaults</c> adds none, so the
/// controllers carry no ClickHouse, NATS, Redis or object store, nor their health checks (which would fail
/// /health on a service that has no reason to reach them). The CP API uses Redis (sign-in attempt limits) and
/// the message log (reset mails on notifications.email), never ClickHouse or the object store.
/// </summary>
public sealed class ModuleRegistrationTests
{
    private static readonly string[] PlatformChecks = ["analytics", "nats", "redis", "objectstore"];

    [Fact]
    public void Service_defaults_alone_register_no_platform_part()
    {
        var parts = ModuleComposition.Compose(_ => { });
        Assert.Empty(parts.Services);
        Assert.Equal(new[] { "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Control_plane_api_registers_cpdb_redis_and_the_message_log_only()
    {
        // Messaging for the mails it queues on notifications.email (invitations, password resets).
        var parts = ModuleComposition.Compose(b => b.AddControlPlaneApi());
        Assert.Equal(new[] { nameof(IConnectionMultiplexer), nameof(IEventPublisher), nameof(INatsConnection) }, parts.Services);
        Assert.Equal(new[] { "cpdb", "nats", "redis", "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Control_plane_controller_registers_cpdb_and_no_platform_part()
    {
        var parts = ModuleComposition.Compose(b => b.AddControlPlaneController());
        Assert.Empty(parts.Services);
        Assert.Equal(new[] { "cpdb", "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Data_plane_controller_registers_dpdb_and_no_platform_part()
    {
        var parts = ModuleComposition.Compose(b => b.AddDataPlaneController());
        Assert.Empty(parts.Services);
        Assert.DoesNotContain(parts.HealthChecks, PlatformChecks.Contains);
    }

    [Fact]
    public void Data_plane_api_registers_analytics_object_store_the_message_log_and_redis_for_its_quotas_only()
    {
        // The message log for its alert engine: the per-event consumer on events.ingested and notifications.alert;
        // Redis for the per-key request rates every replica shares.
        var parts = ModuleComposition.Compose(b => b.AddDataPlaneApi());
        Assert.Equal(new[] { nameof(IAnalyticsStore), nameof(IConnectionMultiplexer), nameof(IEventPublisher), nameof(INatsConnection), nameof(IObjectStore) }, parts.Services);
        Assert.Equal(new[] { "analytics", "dpdb", "nats", "objectstore", "redis", "self" }, parts.HealthChecks);
    }

    [Fact]
    public void Control_and_data_plane_modules_composed_in_one_host_register_each_check_once()
    {
        var parts = ModuleComposition.Compose(b => b.AddControlPlaneApi().AddControlPlaneController().AddDataPlaneApi().AddDataPlaneController());
        Assert.Equal(parts.HealthChecks.Distinct(StringComparer.Ordinal), parts.HealthChecks);
        Assert.Single(parts.Descriptors, d => d.ServiceType == typeof(IAnalyticsStore));
    }
}
