using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HoneyHive.Writer.Tests;

/// <summary>The Writer registers the platform parts it uses (message log, analytics store, object store) and no state store.</summary>
public sealed class WriterModuleRegistrationTests
{
    [Fact]
    public void Writer_registers_messaging_analytics_and_objects_but_not_state()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = "nats://127.0.0.1:1",
            ["ConnectionStrings:redis"] = "127.0.0.1:1",
        });
        builder.AddServiceDefaults();
        builder.AddWriter();

        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IEventPublisher));
        Assert.Single(builder.Services, d => d.ServiceType == typeof(IAnalyticsStore));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IObjectStore));
        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IStateStore));
        using var provider = builder.Services.BuildServiceProvider();
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "analytics", "nats", "objectstore", "self", "writer" }, checks);
    }
}
