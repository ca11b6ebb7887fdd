using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HoneyHive.Platform.Objects;

/// <summary>
/// "objectstore": the filesystem root accepts a write, or the S3 bucket answers a one-key listing.
/// </summary>
public sealed class ObjectStoreHealthCheck(IObjectStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The encrypting decorator's health is that of the store under it.
            switch (store is Encryption.EncryptingObjectStore encrypting ? encrypting.Inner : store)
            {
                case FileSystemObjectStore fileSystem:
                    await ProbeFolderAsync(fileSystem.Root, cancellationToken);
                    return HealthCheckResult.Healthy($"folder {fileSystem.Root} is writable");
                case S3ObjectStore s3:
                    await s3.ProbeAsync(cancellationToken);
                    return HealthCheckResult.Healthy($"bucket {s3.Bucket} is reachable");
                default:
                    return HealthCheckResult.Healthy("this store has no probe");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("object store unavailable", ex);
        }
    }

    private static async Task ProbeFolderAsync(string root, CancellationToken cancellationToken)
    {
        // Not under a key path, and outside what ListAsync reports (temporary-file suffix).
        var probe = Path.Combine(root, $".health.{Guid.NewGuid():N}{FileSystemObjectStore.TempSuffix}");
        try
        {
            await File.WriteAllBytesAsync(probe, [1], cancellationToken);
        }
        finally
        {
            File.Delete(probe);
        }
    }
}
