using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HoneyHive.LlmProxy.Limits;

/// <summary>
/// Each project's calls per sliding minute and calls in flight, counted in Redis so every proxy replica sees the same
/// numbers. One Lua script checks and takes both at once (Redis's own clock, so replicas' clocks never disagree):
/// the minute is a sorted set of call start times, the concurrency a sorted set of leases scored by when they expire.
/// A replica renews its open leases; one that crashes stops renewing and its slots come free after
/// <see cref="CallLimitOptions.LeaseTtl"/>.
/// </summary>
/// <remarks>
/// When Redis cannot be reached the call is let through (fail open), unlike sign-in attempts, which fail closed.
/// These limits keep one project from using up the workspace's provider quota and budget; nothing is exposed
/// without them (the provider still enforces its own rate limits and its 429s still reach the caller), while refusing
/// every model call of every tenant during a Redis outage would stop the playground and LLM evaluators for no gain.
/// The outage is logged; limits apply again as soon as Redis answers.
/// </remarks>
public sealed class RedisProjectCallLimiter(
    IConnectionMultiplexer redis, IOptions<CallLimitOptions> options, IConfiguration configuration, ILogger<RedisProjectCallLimiter> logger) : IProjectCallLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>A slot of the concurrency cap may come free at any moment (a stream ends): a second is the caller's fair wait.</summary>
    private static readonly TimeSpan ConcurrencyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly string prefix = configuration["State:KeyPrefix"] ?? RedisConnectionExtensions.DefaultKeyPrefix;
    private long lastOutageLog;

    // Returns {0, 0} when admitted, {1, ms} over the rate, {2, ms} at the concurrency cap. Expired leases and calls older
    // than the window are removed first, so the sets never outgrow the limits.
    private const string AcquireScript =
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local rate, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        local cap, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
        if cap > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          if redis.call('ZCARD', KEYS[2]) >= cap then return {2, 0} end
        end
        if rate > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
          if redis.call('ZCARD', KEYS[1]) >= rate then
            local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            return {1, math.max(1, tonumber(oldest[2]) + window - now)}
          end
          redis.call('ZADD', KEYS[1], now, ARGV[5])
          redis.call('PEXPIRE', KEYS[1], window)
        end
        if cap > 0 then
          redis.call('ZADD', KEYS[2], now + ttl, ARGV[5])
          redis.call('PEXPIRE', KEYS[2], ttl)
        end
        return {0, 0}
        """;

    // Only a lease that still exists is renewed: one that expired meanwhile was given away and stays given away.
    private const string RenewScript =
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
          redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          return 1
        end
        return 0
        """;

    /// <summary>The sorted set of a project's calls in the last minute. The braces keep both keys in one cluster slot.</summary>
    public string RateKey(Guid project) => $"{prefix}llm:limits:{{{project}}}:rate";

    /// <summary>The sorted set of a project's open leases, scored by expiry (Unix ms, Redis's clock).</summary>
    public string ConcurrencyKey(Guid project) => $"{prefix}llm:limits:{{{project}}}:concurrent";

    public async Task<IAsyncDisposable> AcquireAsync(CallScope scope, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var (rate, cap) = settings.For(scope.ProjectId);
        if (rate <= 0 && cap <= 0) return NoLease.Instance;
        if (!redis.IsConnected) return Unavailable(null);

        var id = Guid.NewGuid().ToString("N");
        var ttl = (long)settings.LeaseTtl.TotalMilliseconds;
        RedisResult[] result;
        try
        {
            result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                AcquireScript,
                [RateKey(scope.ProjectId), ConcurrencyKey(scope.ProjectId)],
                [rate, (long)Window.TotalMilliseconds, cap, ttl, id]))!;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Unavailable(e);
        }
        switch ((int)result[0])
        {
            case 1:
                throw new OpenAiErrorException(429, "rate_limit_error",
                    $"This project is limited to {rate} model calls per minute through the proxy; retry after the time in Retry-After.",
                    "project_rate_limit_exceeded", retryAfter: TimeSpan.FromMilliseconds((long)result[1]), retryable: false);
            case 2:
                throw new OpenAiErrorException(429, "rate_limit_error",
                    $"This project already has {cap} model calls in progress through the proxy, its limit; retry when one has finished.",
                    "project_concurrency_limit_exceeded", retryAfter: ConcurrencyRetryAfter, retryable: false);
        }
        return cap > 0 ? new Lease(redis, logger, ConcurrencyKey(scope.ProjectId), id, settings.LeaseTtl) : NoLease.Instance;
    }

    private IAsyncDisposable Unavailable(Exception? error)
    {
        // One line per 30 s at most: during an outage every call would otherwise log.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastOutageLog);
        if (now - last > 30_000 && Interlocked.CompareExchange(ref lastOutageLog, now, last) == last)
            logger.LogWarning(error, "Redis is unavailable: LLM proxy calls are let through without their per-project limits until it answers");
        return NoLease.Instance;
    }

    private sealed class NoLease : IAsyncDisposable
    {
        public static readonly NoLease Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>One slot of the concurrency cap: renewed every third of its lifetime while the call runs, removed at the end.</summary>
    private sealed class Lease : IAsyncDisposable
    {
        private readonly IConnectionMultiplexer redis;
        private readonly ILogger logger;
        private readonly RedisKey key;
        private readonly string id;
        private readonly long ttlMs;
        private readonly Timer renewal;

        public Lease(IConnectionMultiplexer redis, ILogger logger, string key, string id, TimeSpan ttl)
        {
            this.redis = redis;
            this.logger = logger;
            this.key = key;
            this.id = id;
            ttlMs = (long)ttl.TotalMilliseconds;
            renewal = new Timer(_ => _ = RenewAsync(), null, ttl / 3, ttl / 3);
        }

        private async Task RenewAsync()
        {
            try
            {
                await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, [key], [ttlMs, id]);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // The lease lapses if Redis stays away longer than its lifetime; the call itself goes on.
                logger.LogDebug(e, "Renewing a concurrency lease failed");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await renewal.DisposeAsync();
            try
            {
                await redis.GetDatabase().SortedSetRemoveAsync(key, id);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Not removed: it expires by itself after its lifetime.
                logger.LogDebug(e, "Releasing a concurrency lease failed; it will expire");
            }
        }
    }
}
