using HoneyHive.Ingestion;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HoneyHive.Ingestion.Tests;

/// <summary>Ingestion registers the platform parts it uses (message log, state store) and not the ones it does not.</summary>
public sealed class IngestionModuleRegistrationTests
{
    [Fact]
    public void Ingestion_registers_messaging_and_state_but_not_analytics_or_objects()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:dpdb"] = "Host=127.0.0.1;Database=unused",
            ["ConnectionStrings:nats"] = "nats://127.0.0.1:1",
            ["ConnectionStrings:redis"] = "127.0.0.1:1",
        });
        builder.AddServiceDefaults();
        builder.AddIngestion();

        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IEventPublisher));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IStateStore));
        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IAnalyticsStore));
        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IObjectStore));
        using var provider = builder.Services.BuildServiceProvider();
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "dpdb", "nats", "redis", "self" }, checks);
    }
}
