using System.Diagnostics;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;

namespace HoneyHive.Bench.Query;

/// <summary>What the loaded data costs on disk, and waiting for the background merges to settle.</summary>
public static class StoreFigures
{
    /// <summary>
    /// Bytes of every file under the chDB data folder (tables, views' targets, metadata), as du counts them:
    /// data/ and metadata/ hold symbolic links into store/, which are not followed (that counted every table twice).
    /// </summary>
    public static long FolderBytes(ChdbAnalyticsStore store) =>
        new DirectoryInfo(store.DataPath)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Sum(f => f.Length);

    /// <summary>The active parts of <c>events</c>: compressed bytes on disk, uncompressed bytes, part count.</summary>
    public static async Task<(long OnDisk, long Uncompressed, long Parts)> EventPartsAsync(IAnalyticsStore store, CancellationToken ct)
    {
        var row = (await store.QueryAsync(
            "SELECT toString(sum(bytes_on_disk)) AS disk, toString(sum(data_uncompressed_bytes)) AS raw, toString(count()) AS parts " +
            "FROM system.parts WHERE active AND table = 'events' AND database = currentDatabase()", null, ct))[0];
        return (long.Parse(row.GetProperty("disk").GetString()!), long.Parse(row.GetProperty("raw").GetString()!),
            long.Parse(row.GetProperty("parts").GetString()!));
    }

    /// <summary>Background merges running now.</summary>
    public static async Task<long> RunningMergesAsync(IAnalyticsStore store, CancellationToken ct) =>
        long.Parse((await store.QueryAsync("SELECT toString(count()) AS n FROM system.merges", null, ct))[0].GetProperty("n").GetString()!);

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until no merge is running, so the queries do not share the
    /// two cores with the merges that the load started. Returns how long it waited.
    /// </summary>
    public static async Task<TimeSpan> SettleAsync(IAnalyticsStore store, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var rows = await store.QueryAsync("SELECT toString(count()) AS n FROM system.merges", null, ct);
            if (rows[0].GetProperty("n").GetString() == "0") break;
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        return clock.Elapsed;
    }
}
