using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Ingestion.Tests;

/// <summary>Ingestion registers the platform parts it uses (message log, state store) and not the ones it does not.</summary>
public sealed class IngestionModuleRegistrationTests
{
    [Fact]
    public void Ingestion_registers_messaging_and_state_but_not_analytics_or_objects()
    {
        var parts = ModuleComposition.Compose(b => b.AddIngestion());

        Assert.Contains(nameof(IEventPublisher), parts.Services);
        Assert.Contains(nameof(IStateStore), parts.Services);
        Assert.DoesNotContain(nameof(IAnalyticsStore), parts.Services);
        Assert.DoesNotContain(nameof(IObjectStore), parts.Services);
        Assert.Equal(new[] { "dpdb", "ingestion-lag", "nats", "redis", "self" }, parts.HealthChecks);
    }
}
