using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// The test process's one chDB connection (chDB allows one per process), over an empty folder under
/// HH_TEST_DATA, migrated. Every fixture that needs ClickHouse shares it and seeds its own projects;
/// the store closes itself at process exit.
/// </summary>
public static class SharedChdb
{
    private static readonly Lazy<Task<ChdbAnalyticsStore>> Store = new(OpenAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<ChdbAnalyticsStore> GetAsync() => Store.Value;

    private static async Task<ChdbAnalyticsStore> OpenAsync()
    {
        var dataPath = Path.Combine(TestServers.DataDirectory, "chdb");
        if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        var store = new ChdbAnalyticsStore(new ChdbOptions { LibraryPath = TestServers.ChdbLibrary, DataPath = dataPath }, NullLogger<ChdbAnalyticsStore>.Instance);
        await new ClickHouseMigrator(store, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return store;
    }
}
