using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// The process's one chDB connection (chDB allows one per process), migrated once, over a data folder
/// under HH_TEST_DATA that starts empty on each run. Tests keep apart by project id.
/// </summary>
public sealed class ChdbFixture : IAsyncLifetime
{
    public ChdbFixture()
    {
        var dataPath = Path.Combine(TestServers.DataDirectory, "writer-chdb");
        if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        Store = new ChdbAnalyticsStore(
            new ChdbOptions { LibraryPath = TestServers.ChdbLibrary, DataPath = dataPath },
            NullLogger<ChdbAnalyticsStore>.Instance);
    }

    public ChdbAnalyticsStore Store { get; }

    public async Task InitializeAsync() =>
        await new ClickHouseMigrator(Store, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(CancellationToken.None);

    public Task DisposeAsync()
    {
        Store.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class WriterCollection : ICollectionFixture<ChdbFixture>
{
    public const string Name = "writer";
}
