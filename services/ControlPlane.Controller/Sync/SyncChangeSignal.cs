using Dapper;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Wakes the streams when cpdb commits a change data planes need: the sync triggers NOTIFY <c>sync_changes</c>, delivered
/// on commit. A revoked key therefore reaches the DPs in milliseconds rather than at the next poll; the poll
/// (<see cref="SyncOptions.Interval"/>) stays as the fallback for a lost connection or notification.
/// </summary>
public sealed class SyncChangeSignal([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb, ILogger<SyncChangeSignal> logger) : BackgroundService
{
    public const string Channel = "sync_changes";

    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next change notified after it was read. Read it before reading the changes, so none slips between.</summary>
    public Task NextChange => Volatile.Read(ref next).Task;

    private void Fire() => Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await cpdb.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => Fire();
                await connection.ExecuteAsync($"LISTEN {Channel}");
                // Whatever committed while nobody listened.
                Fire();
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                logger.LogWarning("Listening for sync changes failed ({Reason}); the streams poll until it is back", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
