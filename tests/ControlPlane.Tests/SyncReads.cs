using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ControlPlane.Controller.Sync;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>Reads a snapshot (since = null) or the changes since a version as one batch, the way a DP ends up holding it.</summary>
internal static class SyncReads
{
    public static async Task<(SyncBatch Batch, ulong Next)> ReadAsync(this ControlPlaneSyncSource source, ulong? since, CancellationToken cancellationToken)
    {
        var read = since is { } version
            ? await source.ReadChangesAsync(version, cancellationToken) ?? throw new InvalidOperationException($"No changes can be told since {version}.")
            : await source.ReadSnapshotAsync(cancellationToken);
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
