using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// The test process's one chDB connection (chDB allows one per process), over an empty folder under HH_TEST_DATA,
/// migrated. Every fixture of a test project that needs ClickHouse shares it and seeds its own projects; the store
/// closes itself at process exit.
/// </summary>
public static class SharedChdb
{
    private static readonly Lock Gate = new();
    private static Task<ChdbAnalyticsStore>? store;

    /// <param name="folder">The test project's own folder under HH_TEST_DATA: test projects run side by side, each
    /// process with its own connection, and two connections must never open one folder.</param>
    public static Task<ChdbAnalyticsStore> GetAsync(string folder)
    {
        lock (Gate) return store ??= OpenAsync(folder);
    }

    private static async Task<ChdbAnalyticsStore> OpenAsync(string folder)
    {
        var dataPath = Path.Combine(TestServers.DataDirectory, folder);
        if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        var opened = new ChdbAnalyticsStore(new ChdbOptions { LibraryPath = TestServers.ChdbLibrary, DataPath = dataPath }, NullLogger<ChdbAnalyticsStore>.Instance);
        await new ClickHouseMigrator(opened, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return opened;
    }
}
