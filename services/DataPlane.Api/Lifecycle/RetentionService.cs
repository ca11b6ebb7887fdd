using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>Runs <see cref="RetentionSweeper"/> every <see cref="LifecycleOptions.SweepInterval"/>, the first time one interval after start.</summary>
public sealed class RetentionService(RetentionSweeper sweeper, IOptions<LifecycleOptions> options, TimeProvider clock, ILogger<RetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RetentionEnabled) return;
        using var timer = new PeriodicTimer(options.Value.SweepInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var result = await sweeper.SweepAsync(stoppingToken);
                if (result.DaysArchived > 0 || result.DeadLettersRemoved > 0)
                    logger.LogInformation("Retention sweep: {Projects} projects, {Days} days ({Rows} rows) archived and removed, {Letters} dead letters removed",
                        result.Projects, result.DaysArchived, result.RowsArchived, result.DeadLettersRemoved);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The next tick tries again; a day half done is redone whole (archive first, remove after).
                logger.LogError(ex, "Retention sweep failed; retrying at the next interval");
            }
        }
    }
}
