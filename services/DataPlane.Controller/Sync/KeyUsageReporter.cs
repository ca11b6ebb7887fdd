using Dapper;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// What to tell the CP about project keys' use: the keys whose last-used time in dpdb (written by the API's and
/// ingestion's usage flushers) moved since the previous report on this stream. A new stream starts afresh and
/// reports everything recent again; the CP only ever moves last_used_at forward, so repeats are harmless.
/// </summary>
public sealed class KeyUsageReporter([FromKeyedServices("dpdb")] NpgsqlDataSource dpdb)
{
    // Uses older than this when a stream opens were reported on an earlier stream (or are not worth reporting late).
    private static readonly TimeSpan Lookback = TimeSpan.FromHours(1);

    // Flushers write a use a few seconds after it happened; re-reading this far behind the newest use catches those.
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Per stream: the last time reported for each key.</summary>
    public sealed class Cursor
    {
        internal Dictionary<Guid, DateTime> Reported { get; } = [];

        internal DateTime Since { get; set; } = DateTime.UtcNow - Lookback;
    }

    /// <summary>The uses to report since <paramref name="cursor"/>, or null when there are none; advances the cursor.</summary>
    public async Task<KeyUsage?> NextAsync(Cursor cursor, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid Id, DateTime LastUsed)>(new CommandDefinition(
            "SELECT id, last_used_at FROM api_keys WHERE last_used_at >= @since",
            new { since = cursor.Since }, cancellationToken: cancellationToken));

        var usage = new KeyUsage();
        var newest = cursor.Since;
        foreach (var (id, lastUsed) in rows)
        {
            if (lastUsed > newest) newest = lastUsed;
            if (cursor.Reported.TryGetValue(id, out var reported) && reported >= lastUsed) continue;
            cursor.Reported[id] = lastUsed;
            usage.Uses.Add(new KeyUse
            {
                KeyId = id.ToString(),
                LastUsedUnixMs = new DateTimeOffset(DateTime.SpecifyKind(lastUsed, DateTimeKind.Utc)).ToUnixTimeMilliseconds(),
            });
        }

        // Never backwards: with no new uses the window stays where it is instead of widening each report.
        if (newest - Window > cursor.Since) cursor.Since = newest - Window;
        // Forget what fell out of the window, so the map stays as small as it.
        foreach (var stale in cursor.Reported.Where(r => r.Value < cursor.Since).Select(r => r.Key).ToList()) cursor.Reported.Remove(stale);
        return usage.Uses.Count > 0 ? usage : null;
    }
}
