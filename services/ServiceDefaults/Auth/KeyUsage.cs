using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// When each project key was last accepted by this process, in memory: one dictionary write per request,
/// nothing on the request path touches a database. <see cref="KeyUsageFlusher"/> moves it to dpdb.
/// </summary>
public sealed class KeyUsageRecorder
{
    private readonly ConcurrentDictionary<Guid, long> lastUsed = new();

    public void Record(Guid keyId, DateTimeOffset at)
    {
        var ms = at.ToUnixTimeMilliseconds();
        lastUsed.AddOrUpdate(keyId, ms, (_, previous) => Math.Max(previous, ms));
    }

    /// <summary>The uses noted since the last drain, removed from memory.</summary>
    public IReadOnlyList<(Guid KeyId, DateTimeOffset LastUsed)> Drain()
    {
        var drained = new List<(Guid, DateTimeOffset)>();
        foreach (var keyId in lastUsed.Keys)
        {
            if (lastUsed.TryRemove(keyId, out var ms)) drained.Add((keyId, DateTimeOffset.FromUnixTimeMilliseconds(ms)));
        }
        return drained;
    }
}

/// <summary>
/// Every <see cref="ApiKeyDirectoryOptions.UsageFlushInterval"/>, writes the noted uses to dpdb
/// <c>api_keys.last_used_at</c> (only forward). Through dpdb rather than memory because the DP controller that
/// reports them to the CP may run in another process than the API and ingestion that see the requests.
/// </summary>
public sealed class KeyUsageFlusher(
    KeyUsageRecorder usage,
    [FromKeyedServices("dpdb")] NpgsqlDataSource dpdb,
    ApiKeyDirectoryOptions options,
    ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.UsageFlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // One last write on the way out, so a stop does not lose the final seconds of uses.
        await FlushAsync(CancellationToken.None);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var uses = usage.Drain();
        if (uses.Count == 0) return;
        try
        {
            await using var command = dpdb.CreateCommand(
                """
                UPDATE api_keys k SET last_used_at = u.at
                FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
                WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = uses.Select(u => u.KeyId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = uses.Select(u => u.LastUsed.UtcDateTime).ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            // A last-used time is informational: put the uses back for the next flush rather than fail anything.
            foreach (var (keyId, at) in uses) usage.Record(keyId, at);
            logger.LogWarning("Could not write {Keys} key last-used times to dpdb ({Reason}); retrying at the next flush", uses.Count, ex.Message);
        }
    }
}
