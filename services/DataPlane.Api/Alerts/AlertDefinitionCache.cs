using System.Collections.Concurrent;
using Dapper;
using HoneyHive.Contracts.Alerts;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>
/// The PER_EVENT alerts of each project (not paused), kept in memory for the per-event consumer, and refreshed when the
/// sync changes them: the DP controller's <c>SyncApplier</c> sends <c>NOTIFY alerts_changed</c> with the project id in
/// the transaction that changes a project's alerts (<c>*</c>: all), and this process LISTENs. dp-api and dp-controller
/// are apart in distributed mode; dpdb is what they share. While the listener is down (and once it is back, since it may
/// have missed notices) nothing cached is trusted for longer than <see cref="AlertOptions.DefinitionCacheTtl"/>.
/// </summary>
public sealed class AlertDefinitionCache(
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    AlertOptions options,
    TimeProvider clock,
    ILogger<AlertDefinitionCache> logger) : BackgroundService
{
    /// <summary>The notification channel; the payload is a project id or <see cref="All"/>.</summary>
    public const string Channel = "alerts_changed";

    public const string All = "*";

    private sealed record Entry(IReadOnlyList<AlertDefinition> Alerts, DateTimeOffset LoadedAt);

    private readonly ConcurrentDictionary<Guid, Entry> entries = new();

    // Moves on every notice: a load that saw it move may hold what the notice replaced, so it is not cached.
    private long changes;

    public async Task<IReadOnlyList<AlertDefinition>> ForProjectAsync(Guid project, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (entries.TryGetValue(project, out var cached) && now - cached.LoadedAt < options.DefinitionCacheTtl) return cached.Alerts;

        var before = Interlocked.Read(ref changes);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT definition::text FROM alerts
            WHERE project_id = @project AND definition->>'alert_type' = @perEvent AND definition->>'status' IS DISTINCT FROM @paused
            """,
            new { project, perEvent = AlertNames.PerEvent, paused = AlertNames.Paused }, cancellationToken: cancellationToken));
        IReadOnlyList<AlertDefinition> alerts = rows.Select(AlertJson.Definition).ToList();
        if (Interlocked.Read(ref changes) == before) entries[project] = new Entry(alerts, now);
        return alerts;
    }

    /// <summary>Forgets a project's alerts (<see cref="All"/>: everyone's), as a notice does.</summary>
    public void Invalidate(string payload)
    {
        Interlocked.Increment(ref changes);
        if (Guid.TryParse(payload, out var project)) entries.TryRemove(project, out _);
        else entries.Clear();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dpdb.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Invalidate(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                // Notices sent while nobody listened are lost: start from dpdb again.
                Invalidate(All);
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                logger.LogWarning("Alert change listener lost dpdb ({Reason}); reconnecting", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
