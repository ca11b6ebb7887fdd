using HoneyHive.Platform.Security;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// Looks project API keys up by their SHA-256 hash in dpdb (filled by the controllers' sync): unrevoked and
/// unexpired only. Answers are cached briefly so ingestion does not hit PostgreSQL per request, and short enough
/// that a new or revoked key takes effect within seconds; a cached key still ends at its expiry. Each accepted
/// use is noted in <see cref="KeyUsageRecorder"/> (memory only) for the last-used time the CP lists.
/// </summary>
public sealed class ApiKeyDirectory(
    [FromKeyedServices("dpdb")] NpgsqlDataSource dpdb,
    IMemoryCache cache,
    ApiKeyDirectoryOptions options,
    KeyUsageRecorder? usage = null,
    TimeProvider? clock = null)
{
    private readonly TimeProvider time = clock ?? TimeProvider.System;

    // Moves on every Forget: a lookup that read dpdb before a revocation must not cache its answer after the revocation
    // dropped the entry, or the revoked key would work for another cache lifetime.
    private long forgotten;

    public async Task<ApiKeyIdentity?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(presentedKey);
        var cacheKey = CacheKey(Convert.ToHexString(hash));
        if (!cache.TryGetValue(cacheKey, out Found? found) || found is null)
        {
            var before = Interlocked.Read(ref forgotten);
            found = await LoadAsync(hash, cancellationToken);
            if (options.CacheDuration > TimeSpan.Zero && Interlocked.Read(ref forgotten) == before) cache.Set(cacheKey, found, options.CacheDuration);
        }

        var now = time.GetUtcNow();
        if (found.Identity is null || found.ExpiresAt <= now) return null;
        usage?.Record(found.Identity.KeyId, now);
        return found.Identity;
    }

    /// <summary>Drops the cached answer for the key whose SHA-256 hash is <paramref name="hashHex"/>: it was revoked or removed.</summary>
    public void Forget(string hashHex)
    {
        Interlocked.Increment(ref forgotten);
        cache.Remove(CacheKey(hashHex));
    }

    /// <summary>The cache entry of the key whose SHA-256 hash is <paramref name="hashHex"/> (upper-case hex).</summary>
    private static string CacheKey(string hashHex) => "apikey:" + hashHex.ToUpperInvariant();

    /// <summary>A lookup's answer as cached: the key (null when unknown, revoked or expired) and when it expires.</summary>
    private sealed record Found(ApiKeyIdentity? Identity, DateTimeOffset? ExpiresAt);

    private static readonly Found NotFound = new(null, null);

    private async Task<Found> LoadAsync(byte[] hash, CancellationToken cancellationToken)
    {
        try
        {
            return await QueryAsync(hash, cancellationToken);
        }
        catch (NpgsqlException ex) when (IsUnavailable(ex))
        {
            // PostgreSQL restarting or unreachable: the key can be neither confirmed nor refused. Callers
            // answer "retry later" (503), never "unknown key" (401), so exporters keep their data.
            throw new KeyDirectoryUnavailableException(ex);
        }
    }

    /// <summary>
    /// Client-side failures (connection refused or broken) and the server's own "not now" states:
    /// 08 connection exceptions, 53 insufficient resources, 57P admin shutdown / cannot connect now.
    /// </summary>
    private static bool IsUnavailable(NpgsqlException ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        _ => true,
    };

    private async Task<Found> QueryAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var command = dpdb.CreateCommand(
            """
            SELECT k.id, k.key_hash, k.scopes, p.id, p.workspace_id, p.org_id, p.name, k.expires_at
            FROM api_keys k JOIN projects p ON p.id = k.project_id
            WHERE k.key_hash = $1 AND NOT k.revoked AND (k.expires_at IS NULL OR k.expires_at > now())
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return NotFound;
        // The index lookup already matched; comparing again in constant time costs nothing and keeps
        // the check independent of how the database compares bytea.
        if (!ApiKeys.HashesEqual(reader.GetFieldValue<byte[]>(1), hash)) return NotFound;
        var expiresAt = reader.IsDBNull(7) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(7);
        return new Found(new ApiKeyIdentity(
            KeyId: reader.GetGuid(0),
            ProjectId: reader.GetGuid(3),
            WorkspaceId: reader.GetGuid(4),
            OrgId: reader.GetGuid(5),
            ProjectName: reader.GetString(6),
            // A scope this version does not know (a newer control plane's, a typo) grants nothing.
            Scopes: ApiScopes.KnownOnly(reader.GetFieldValue<string[]>(2))), expiresAt);
    }
}

/// <summary>The key store (dpdb) cannot answer right now; the request should be retried later.</summary>
public sealed class KeyDirectoryUnavailableException(Exception inner)
    : Exception("The API key directory is unavailable; retry later.", inner)
{
    /// <summary>What a client is told to wait before retrying.</summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(5);
}

/// <summary>Configuration section <c>Auth:ApiKeys</c>.</summary>
public sealed class ApiKeyDirectoryOptions
{
    // With the CP's sync interval (1 s) this keeps a new or revoked key's effect on the DP within 5 s.
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the API writes the keys' last-used times from memory to dpdb, for the controller to report.</summary>
    public TimeSpan UsageFlushInterval { get; set; } = TimeSpan.FromSeconds(2);
}
