using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Writes what data planes report about their project keys' use to <c>api_keys.last_used_at</c>: only forward,
/// only for project keys, and never past the CP's own clock (a DP with a fast clock, or a forged report, cannot
/// make a key look used in the future). <c>updated_at</c> is left alone: a use is not a change to sync back.
/// </summary>
public sealed class KeyUsageSink([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb, TimeProvider clock, ILogger<KeyUsageSink> logger)
{
    public async Task RecordAsync(string dataPlaneId, KeyUsage usage, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var uses = usage.Uses
            .Select(u => (Ok: Guid.TryParse(u.KeyId, out var id), Id: id, At: DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(u.LastUsedUnixMs, 0, now.ToUnixTimeMilliseconds()))))
            .Where(u => u.Ok && u.At.ToUnixTimeMilliseconds() > 0)
            .GroupBy(u => u.Id)
            .Select(g => (Id: g.Key, At: g.Max(u => u.At)))
            .ToList();
        if (uses.Count == 0) return;

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE api_keys k SET last_used_at = u.at
            FROM unnest(@ids, @ats) AS u(id, at)
            WHERE k.id = u.id AND k.kind = 'project' AND (k.last_used_at IS NULL OR k.last_used_at < u.at)
            """,
            new { ids = uses.Select(u => u.Id).ToArray(), ats = uses.Select(u => u.At.UtcDateTime).ToArray() },
            cancellationToken: cancellationToken));
        logger.LogDebug("Data plane {DataPlaneId} reported {Uses} key uses; {Updated} moved last_used_at", dataPlaneId, uses.Count, updated);
    }
}
