using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Analytics;

/// <summary>
/// The process's one chDB connection, shared by every analytics test class, over a data folder
/// under HH_TEST_DATA that starts empty on each run.
/// </summary>
public sealed class ChdbFixture : IDisposable
{
    public ChdbFixture()
    {
        var dataPath = Path.Combine(TestServers.DataDirectory, "chdb");
        if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        Store = new ChdbAnalyticsStore(
            new ChdbOptions { LibraryPath = TestServers.ChdbLibrary, DataPath = dataPath },
            NullLogger<ChdbAnalyticsStore>.Instance);
    }

    public ChdbAnalyticsStore Store { get; }

    public void Dispose() => Store.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ChdbCollection : ICollectionFixture<ChdbFixture>
{
    public const string Name = "chdb";
}
