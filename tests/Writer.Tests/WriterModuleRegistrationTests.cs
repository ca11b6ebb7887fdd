using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Writer.Tests;

/// <summary>The Writer registers the platform parts it uses (message log, analytics store, object store) and no state store.</summary>
public sealed class WriterModuleRegistrationTests
{
    [Fact]
    public void Writer_registers_messaging_analytics_and_objects_but_not_state()
    {
        var parts = ModuleComposition.Compose(b => b.AddWriter());

        Assert.Contains(nameof(IEventPublisher), parts.Services);
        Assert.Single(parts.Descriptors, d => d.ServiceType == typeof(IAnalyticsStore));
        Assert.Contains(nameof(IObjectStore), parts.Services);
        Assert.DoesNotContain(nameof(IStateStore), parts.Services);
        Assert.Equal(new[] { "analytics", "nats", "objectstore", "self", "writer" }, parts.HealthChecks);
    }
}
