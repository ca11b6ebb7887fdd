using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>Keeps <c>sync_changes</c> to <see cref="SyncOptions.ChangeRetention"/>: hourly, it drops older changes (a DP away longer gets a snapshot).</summary>
public sealed class SyncChangePruner(ControlPlaneSyncSource source, IOptions<SyncOptions> options, ILogger<SyncChangePruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var pruned = await source.PruneAsync(options.Value.ChangeRetention, stoppingToken);
                if (pruned > 0) logger.LogInformation("Pruned {Changes} sync changes older than {Retention}", pruned, options.Value.ChangeRetention);
            }
            catch (NpgsqlException ex)
            {
                logger.LogWarning("Could not prune sync changes ({Reason}); trying again in an hour", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
