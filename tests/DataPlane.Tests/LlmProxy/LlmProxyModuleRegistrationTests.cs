using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.LlmProxy;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.Limits;
using HoneyHive.LlmProxy.Tracing;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.State;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>The dp-llm-proxy app composed alone, as its Program.cs does: it brings what its tracer, limits and playground need.</summary>
public sealed class LlmProxyModuleRegistrationTests
{
    [Theory]
    [InlineData("Local")]
    [InlineData("Dapr")]
    public async Task The_proxy_alone_registers_the_message_log_redis_and_the_configuration_store_it_needs(string mode)
    {
        var parts = ModuleComposition.Compose(b =>
        {
            b.Configuration["Hosting:Mode"] = mode;
            b.AddLlmProxy();
        });

        Assert.Contains(nameof(IEventPublisher), parts.Services);
        Assert.Contains(nameof(IConnectionMultiplexer), parts.Services);
        Assert.DoesNotContain(nameof(IStateStore), parts.Services);
        Assert.DoesNotContain(nameof(IAnalyticsStore), parts.Services);
        Assert.Contains(parts.Descriptors, d => d.ServiceType == typeof(IProjectCallLimiter) && d.ImplementationType == typeof(RedisProjectCallLimiter));
        await using var provider = parts.Descriptors.BuildServiceProvider();
        Assert.IsType<ModelCallTraceWriter>(provider.GetRequiredService<IModelCallTracer>());
        Assert.NotNull(provider.GetRequiredService<ConfigurationStore>());
    }
}
