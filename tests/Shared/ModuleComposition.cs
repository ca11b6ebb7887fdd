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

namespace HoneyHive.Tests.Shared;

/// <summary>What a module registered: the platform parts (by type name) and the health checks, both sorted.</summary>
public sealed record ModuleParts(IReadOnlyList<string> Services, IReadOnlyList<string> HealthChecks, IServiceCollection Descriptors);

/// <summary>
/// A service's builder as its Program.cs makes it (AddServiceDefaults, then the module), with every
/// connection string set to an address nothing listens on: nothing is started or connected.
/// </summary>
public static class ModuleComposition
{
    private static readonly Type[] PlatformParts =
    [
        typeof(IAnalyticsStore), typeof(IEventPublisher), typeof(IStateStore), typeof(IObjectStore),
        typeof(INatsConnection), typeof(IConnectionMultiplexer),
    ];

    public static ModuleParts Compose(Action<HostApplicationBuilder> module)
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

        var services = PlatformParts.Where(t => builder.Services.Any(d => d.ServiceType == t)).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        using var provider = builder.Services.BuildServiceProvider();
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Select(r => r.Name).Order(StringComparer.Ordinal).ToList();
        return new ModuleParts(services, checks, builder.Services);
    }
}
