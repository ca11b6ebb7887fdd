using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Analytics;

/// <summary>Registers the analytics store: a ClickHouse server when <c>ClickHouse:Url</c> is set, chDB otherwise.</summary>
public static class AnalyticsStoreExtensions
{
    /// <summary>
    /// chDB or ClickHouse server, as a singleton (chDB allows one connection per process), the
    /// schema migrator, and the <c>analytics</c> health check. Keys: <c>ClickHouse:Url</c>;
    /// for chDB <c>ClickHouse:ChdbLibrary</c>, <c>ClickHouse:DataPath</c> (default
    /// <c>.data/chdb</c>), <c>ClickHouse:Memory:*</c> (chDB's memory bounds, see <see cref="ChdbMemory"/>);
    /// <c>ClickHouse:MigrateOnStartup</c> (default false) applies the schema when the host starts.
    /// Registers once however often it is called; a store registered before (a test's) is kept.
    /// </summary>
    public static IHostApplicationBuilder AddAnalyticsStore(this IHostApplicationBuilder builder)
    {
        if (!builder.Services.RegisterOnce<IAnalyticsStore>()) return builder;
        var section = builder.Configuration.GetSection("ClickHouse");
        var url = section["Url"];
        if (!string.IsNullOrWhiteSpace(url))
        {
            builder.Services.TryAddSingleton<IAnalyticsStore>(sp =>
                new ClickHouseServerStore(url, sp.GetRequiredService<ILogger<ClickHouseServerStore>>()));
        }
        else
        {
            // Resolved lazily: a host that never touches analytics does not load the 560 MB engine.
            builder.Services.TryAddSingleton(sp => new ChdbAnalyticsStore(ReadChdbOptions(section), sp.GetRequiredService<ILogger<ChdbAnalyticsStore>>()));
            builder.Services.TryAddSingleton<IAnalyticsStore>(sp => sp.GetRequiredService<ChdbAnalyticsStore>());
        }

        builder.Services.TryAddSingleton<ClickHouseMigrator>();
        if (section.GetValue("MigrateOnStartup", false))
            builder.Services.AddHostedService<AnalyticsSchemaMigrationService>();
        builder.Services.AddHealthChecks().AddCheck<AnalyticsHealthCheck>("analytics");
        return builder;
    }

    /// <summary>chDB settings from the <c>ClickHouse</c> configuration section.</summary>
    public static ChdbOptions ReadChdbOptions(IConfiguration section) => new()
    {
        LibraryPath = section["ChdbLibrary"] is { Length: > 0 } library
            ? library
            : throw new InvalidOperationException("Set ClickHouse:ChdbLibrary to the path of libchdb.so, or ClickHouse:Url to use a ClickHouse server."),
        DataPath = section["DataPath"] is { Length: > 0 } dataPath ? dataPath : Path.Combine(".data", "chdb"),
        Memory = section.GetSection("Memory").Get<ChdbMemory>() ?? new ChdbMemory(),
    };
}
