using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>At startup, moves every object data key under the current master key (see <see cref="ObjectDataKeys.RewrapAsync"/>).</summary>
internal sealed class DataKeyRewrapService(ObjectDataKeys keys, ILogger<DataKeyRewrapService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await keys.RewrapAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not fatal: every key stays readable under the master key it is sealed with while that key is configured.
            logger.LogError(e, "Re-wrapping object data keys under the current master key failed; it is tried again at the next start");
        }
    }
}
