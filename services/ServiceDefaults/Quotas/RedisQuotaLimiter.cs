using System.Diagnostics.Metrics;
using System.Globalization;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HoneyHive.ServiceDefaults.Quotas;

/// <summary>What a quota check decided. When refused, <see cref="Limit"/> names the limit and <see cref="RetryAfter"/> says when to try again.</summary>
/// <param name="Unchecked">Redis could not be asked: admitted without a check (fail open).</param>
public readonly record struct QuotaDecision(bool Admitted, string? Limit, long LimitValue, TimeSpan RetryAfter, bool Unchecked)
{
    public static QuotaDecision Admit { get; } = new(true, null, 0, TimeSpan.Zero, false);

    public static QuotaDecision AdmitUnchecked { get; } = new(true, null, 0, TimeSpan.Zero, true);

    /// <summary>The refusal in words for the client: which limit, whose, and what to do.</summary>
    public string Describe(Guid projectId) => Limit switch
    {
        QuotaLimits.IngestSpansPerSecond => $"Project {projectId} is over its ingestion rate limit ({LimitValue} spans/events per second, {QuotaLimits.IngestSpansPerSecond}); nothing of this request was accepted. Retry after {Seconds} s.",
        QuotaLimits.IngestSpansPerDay => $"Project {projectId} has used its daily ingestion volume ({LimitValue} spans/events per UTC day, {QuotaLimits.IngestSpansPerDay}); nothing of this request was accepted. The volume resets at 00:00 UTC, in {Seconds} s.",
        QuotaLimits.ApiRequestsPerMinute => $"This API key is over its request rate limit in project {projectId} ({LimitValue} requests per minute, {QuotaLimits.ApiRequestsPerMinute}). Retry after {Seconds} s.",
        _ => "Admitted.",
    };

    /// <summary>Retry-After in whole seconds, at least 1 (HTTP's unit; 0 would invite an immediate retry that fails again).</summary>
    public int Seconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}

/// <summary>
/// Per-project ingestion rate (token bucket) and daily volume, and per-key API request rate, counted in Redis so every
/// replica of ingestion and the DP API draws on one budget. One Lua script per check tests and takes every limit that
/// applies at once, so a request is admitted whole or not at all and a refusal consumes nothing. The bucket refills by
/// Redis's own clock (replicas' clocks never disagree); the day is this process's UTC date in the key (a fake clock in tests),
/// and its counter expires two days later.
/// </summary>
/// <remarks>
/// Hand-written rather than RedisRateLimiting 1.2.1: its token bucket counts whole seconds on each replica's own clock,
/// gives no Retry-After for a token bucket, throws for a request larger than the bucket, keeps each limit in its own script
/// call (a request admitted by the rate and refused by the daily volume would still have spent rate tokens) and cannot
/// take a fake clock for the day.
/// <para>
/// When Redis cannot be reached every request is admitted (fail open), as the LLM proxy's limits do, and the outage is
/// logged (at most every 30 s) and counted (<c>honeyhive.quota.unchecked</c>). These limits keep one tenant from starving
/// the others; refusing every tenant's telemetry during a Redis outage would lose everyone's data for no one's benefit,
/// while the Writer's back-pressure still protects the pipeline itself.
/// </para>
/// </remarks>
public sealed class RedisQuotaLimiter
{
    // ARGV: items, rate per second (0: none), bucket size, daily limit (0: none), daily key TTL (s).
    // Returns {0} admitted, {1, wait ms} over the rate, {2} over the daily volume.
    // A request larger than the bucket is admitted when the bucket is full and leaves it in debt (negative), so the
    // average rate holds and an exporter's large batch is never refused for ever.
    private const string AdmitScript =
        """
        local n = tonumber(ARGV[1])
        local rate, size = tonumber(ARGV[2]), tonumber(ARGV[3])
        local daily, dayTtl = tonumber(ARGV[4]), tonumber(ARGV[5])
        local tokens, now
        if rate > 0 then
          local t = redis.call('TIME')
          now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local bucket = redis.call('HMGET', KEYS[1], 't', 's')
          tokens = tonumber(bucket[1]) or size
          local stamp = tonumber(bucket[2]) or now
          if now > stamp then tokens = math.min(size, tokens + (now - stamp) * rate / 1000) end
          local need = math.min(n, size)
          if tokens < need then
            return {1, math.ceil((need - tokens) * 1000 / rate)}
          end
        end
        if daily > 0 then
          local used = tonumber(redis.call('GET', KEYS[2]) or '0')
          if used + n > daily then return {2, 0} end
        end
        if rate > 0 then
          tokens = tokens - n
          redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
          redis.call('PEXPIRE', KEYS[1], math.ceil((size - tokens) * 1000 / rate) + 1000)
        end
        if daily > 0 then
          redis.call('INCRBY', KEYS[2], n)
          redis.call('EXPIRE', KEYS[2], dayTtl)
        end
        return {0, 0}
        """;

    private static readonly TimeSpan OutageLogInterval = TimeSpan.FromSeconds(30);
    private static readonly long DayKeyTtlSeconds = (long)TimeSpan.FromDays(2).TotalSeconds;

    private readonly IConnectionMultiplexer redis;
    private readonly ProjectQuotas quotas;
    private readonly QuotaOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<RedisQuotaLimiter> logger;
    private readonly string prefix;
    private readonly Counter<long> accepted;
    private readonly Counter<long> limited;
    private readonly Counter<long> uncheckedItems;
    private long lastOutageLog;

    public RedisQuotaLimiter(
        IConnectionMultiplexer redis, ProjectQuotas quotas, QuotaOptions options, TimeProvider clock, IConfiguration configuration,
        IMeterFactory meters, ILogger<RedisQuotaLimiter> logger)
    {
        this.redis = redis;
        this.quotas = quotas;
        this.options = options;
        this.clock = clock;
        this.logger = logger;
        prefix = configuration["State:KeyPrefix"] ?? RedisConnectionExtensions.DefaultKeyPrefix;
        var meter = meters.Create(ServiceDefaultsExtensions.TelemetryName);
        accepted = meter.CreateCounter<long>("honeyhive.quota.accepted", "{item}",
            "Items (spans, log records, events; or API requests) admitted by the quota check, per project and kind (ingest, api)");
        limited = meter.CreateCounter<long>("honeyhive.quota.limited", "{item}",
            "Items refused with 429 by a quota, per project and limit (ingest_spans_per_second, ingest_spans_per_day, api_requests_per_minute)");
        uncheckedItems = meter.CreateCounter<long>("honeyhive.quota.unchecked", "{item}",
            "Items admitted without a quota check because Redis could not be reached (fail open)");
    }

    /// <summary>The token bucket of a project's ingestion. The braces keep a project's keys in one cluster slot.</summary>
    public string IngestRateKey(Guid projectId) => $"{prefix}quota:{{{projectId}}}:ingest:rate";

    /// <summary>The counter of a project's ingestion on <paramref name="day"/> (UTC).</summary>
    public string IngestDayKey(Guid projectId, DateOnly day) => $"{prefix}quota:{{{projectId}}}:ingest:day:{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    /// <summary>The token bucket of one caller's requests (an API key's id, or a user's id) in a project.</summary>
    public string ApiRateKey(Guid projectId, string caller) => $"{prefix}quota:{{{projectId}}}:api:{caller}";

    /// <summary>Admits <paramref name="items"/> spans, log records or events for <paramref name="projectId"/>, all or none.</summary>
    public async Task<QuotaDecision> AdmitIngestAsync(Guid projectId, long items, CancellationToken cancellationToken)
    {
        if (items <= 0) return QuotaDecision.Admit;
        var limits = await quotas.ForAsync(projectId, cancellationToken);
        var rate = limits.IngestSpansPerSecond;
        var size = Math.Max(1, (long)Math.Ceiling(rate * options.IngestBurstSeconds));
        var now = clock.GetUtcNow();
        var decision = await RunAsync(
            IngestRateKey(projectId), IngestDayKey(projectId, DateOnly.FromDateTime(now.UtcDateTime)), items, rate, size, limits.IngestSpansPerDay);
        return Record(decision, projectId, "ingest", items, limits, now);
    }

    /// <summary>Admits one DP API request of <paramref name="caller"/> (a key or user id) in <paramref name="projectId"/>.</summary>
    public async Task<QuotaDecision> AdmitApiRequestAsync(Guid projectId, string caller, CancellationToken cancellationToken)
    {
        var limits = await quotas.ForAsync(projectId, cancellationToken);
        var perMinute = limits.ApiRequestsPerMinute;
        var key = ApiRateKey(projectId, caller);
        // A minute's worth of requests may come at once; the bucket refills at perMinute / 60 a second.
        var decision = await RunAsync(key, key, 1, perMinute / 60.0, Math.Max(1, perMinute), 0);
        return Record(decision, projectId, "api", 1, limits, clock.GetUtcNow());
    }

    private async Task<(int Outcome, long WaitMs)?> RunAsync(string rateKey, string dayKey, long items, double rate, long size, long daily)
    {
        if (rate <= 0 && daily <= 0) return (0, 0);
        if (!redis.IsConnected) return Unavailable(null);
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                AdmitScript, [rateKey, dayKey],
                [items, rate.ToString("R", CultureInfo.InvariantCulture), size, daily, DayKeyTtlSeconds]))!;
            return ((int)result[0], (long)result[1]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Unavailable(e);
        }
    }

    private QuotaDecision Record((int Outcome, long WaitMs)? result, Guid projectId, string kind, long items, ProjectLimits limits, DateTimeOffset now)
    {
        var project = new KeyValuePair<string, object?>("project_id", projectId.ToString());
        if (result is not { } outcome)
        {
            uncheckedItems.Add(items, project, new("kind", kind));
            return QuotaDecision.AdmitUnchecked;
        }
        var decision = outcome.Outcome switch
        {
            1 when kind == "api" => new QuotaDecision(false, QuotaLimits.ApiRequestsPerMinute, limits.ApiRequestsPerMinute, TimeSpan.FromMilliseconds(outcome.WaitMs), false),
            1 => new QuotaDecision(false, QuotaLimits.IngestSpansPerSecond, limits.IngestSpansPerSecond, TimeSpan.FromMilliseconds(outcome.WaitMs), false),
            // The daily volume comes back at the next UTC midnight.
            2 => new QuotaDecision(false, QuotaLimits.IngestSpansPerDay, limits.IngestSpansPerDay, now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime, false),
            _ => QuotaDecision.Admit,
        };
        if (decision.Admitted) accepted.Add(items, project, new("kind", kind));
        else limited.Add(items, project, new("limit", decision.Limit));
        return decision;
    }

    private (int, long)? Unavailable(Exception? error)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastOutageLog);
        if ((last == 0 || now - last > OutageLogInterval.TotalMilliseconds) && Interlocked.CompareExchange(ref lastOutageLog, now, last) == last)
            logger.LogWarning(error, "Redis is unavailable: ingestion and API requests are admitted without their quotas (fail open) until it answers");
        return null;
    }
}
