using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ControlPlane.Controller.Sync;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>Reads a snapshot (since = null) or the changes since a version as one batch, the way a DP ends up holding it.</summary>
internal static class SyncReads
{
    /// <summary>
    /// A change set read waits until its version passes every transaction that had committed when it was called: the
    /// watermark is held back by any transaction in progress on the PostgreSQL server (other tests' databases included).
    /// </summary>
    public static async Task<(SyncBatch Batch, ulong Next)> ReadAsync(this ControlPlaneSyncSource source, ulong? since, CancellationToken cancellationToken)
    {
        var committed = await source.CurrentVersionAsync(cancellationToken);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        SyncRead read;
        while (true)
        {
            read = since is { } version
                ? await source.ReadChangesAsync(version, cancellationToken) ?? throw new InvalidOperationException($"No changes can be told since {version}.")
                : await source.ReadSnapshotAsync(cancellationToken);
            if (since is null || read.Version >= committed) break;
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"The sync version stayed below {committed} for 60 s.");
            await Task.Delay(50, cancellationToken);
        }
        var merged = new SyncBatch { FullSnapshot = since is null, Version = read.Version, Last = true };
        foreach (var batch in read.Batches)
        {
            merged.Projects.AddRange(batch.Projects);
            merged.ApiKeys.AddRange(batch.ApiKeys);
            merged.Alerts.AddRange(batch.Alerts);
        }
        return (merged, read.Version);
    }
}
