using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using HoneyHive.Platform.State;
using HoneyHive.ServiceDefaults;
using StackExchange.Redis;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>One throttled subject: so many failures within a window lock it for a while.</summary>
/// <param name="Purpose">What is throttled (<c>login</c>, <c>reset</c>).</param>
/// <param name="Kind">Which subject (<c>account</c>, <c>ip</c>).</param>
/// <param name="Subject">The email (lowercased) or client address; only its hash reaches Redis.</param>
public sealed record AttemptCounter(string Purpose, string Kind, string Subject, int MaxFailures, TimeSpan Window, TimeSpan Lockout);

/// <summary>
/// Failure counters and lockouts in Redis (the rate-limiting store), shared by every CP instance. A counter is a
/// key that expires after its window; reaching the limit sets a lock key for the lockout and starts the count over.
/// Subjects are hashed into the key, so Redis holds neither emails nor addresses. When Redis cannot answer, callers
/// are refused with 503: without the counters, guessing would be unlimited (fail closed).
/// </summary>
public sealed class AttemptLimiter(IConnectionMultiplexer redis, IConfiguration configuration, ILogger<AttemptLimiter> logger)
{
    private readonly string prefix = configuration["State:KeyPrefix"] ?? RedisConnectionExtensions.DefaultKeyPrefix;

    // INCR and PEXPIRE in one step, so a counter can never be left without its expiry.
    private const string FailScript =
        """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        if n >= tonumber(ARGV[2]) then
          redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
          redis.call('DEL', KEYS[1])
        end
        return n
        """;

    /// <summary>How long until every one of <paramref name="counters"/> is unlocked; null when none is locked.</summary>
    public async Task<TimeSpan?> LockedForAsync(IReadOnlyList<AttemptCounter> counters)
    {
        var database = redis.GetDatabase();
        var remaining = await GuardAsync(() => Task.WhenAll(counters.Select(c => database.KeyTimeToLiveAsync(LockKey(c)))));
        var longest = remaining.Where(r => r is { } ttl && ttl > TimeSpan.Zero).Select(r => r!.Value).DefaultIfEmpty().Max();
        return longest > TimeSpan.Zero ? longest : null;
    }

    /// <summary>Counts a failure against each of <paramref name="counters"/>, locking those that reach their limit.</summary>
    public async Task RecordFailureAsync(IReadOnlyList<AttemptCounter> counters)
    {
        var database = redis.GetDatabase();
        await GuardAsync(() => Task.WhenAll(counters.Select(c => database.ScriptEvaluateAsync(
            FailScript,
            [CountKey(c), LockKey(c)],
            [(long)c.Window.TotalMilliseconds, c.MaxFailures, (long)c.Lockout.TotalMilliseconds]))));
    }

    /// <summary>Forgets the failures of <paramref name="counter"/> (a successful sign-in, a completed reset), lock included.</summary>
    public async Task ClearAsync(AttemptCounter counter)
    {
        var database = redis.GetDatabase();
        await GuardAsync(() => database.KeyDeleteAsync([CountKey(counter), LockKey(counter)]));
    }

    /// <summary>The counter of an email, lowercased so case variants share one.</summary>
    public static string AccountSubject(string email) => email.Trim().ToLowerInvariant();

    /// <summary>
    /// The counter subject of a client address: the IPv4 address, or the /64 of an IPv6 one (a single host usually
    /// holds a whole /64, so counting per address would give it billions of fresh counters).
    /// </summary>
    public static string AddressSubject(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private string CountKey(AttemptCounter c) => $"{prefix}auth:{c.Purpose}:{c.Kind}:{{{Hash(c.Subject)}}}:failures";

    private string LockKey(AttemptCounter c) => $"{prefix}auth:{c.Purpose}:{c.Kind}:{{{Hash(c.Subject)}}}:locked";

    private static string Hash(string subject) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject)))[..32];

    private async Task<T> GuardAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogError(ex, "Redis is unavailable; sign-in attempts cannot be counted, so they are refused");
            throw new ApiRequestException(StatusCodes.Status503ServiceUnavailable, null,
                "Signing in is unavailable right now (attempt limits cannot be checked); try again shortly.");
        }
    }
}
