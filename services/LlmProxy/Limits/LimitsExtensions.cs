using HoneyHive.LlmProxy.Calls;
using HoneyHive.Platform.State;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy.Limits;

public static class LimitsExtensions
{
    /// <summary>Per-project limits in Redis (<c>ConnectionStrings:redis</c>, shared with the rest of the platform).</summary>
    public static IHostApplicationBuilder AddProjectCallLimits(this IHostApplicationBuilder builder)
    {
        builder.AddRedisConnection();
        builder.Services.AddOptions<CallLimitOptions>().Bind(builder.Configuration.GetSection(CallLimitOptions.Section));
        builder.Services.TryAddSingleton<IProjectCallLimiter, RedisProjectCallLimiter>();
        return builder;
    }
}
