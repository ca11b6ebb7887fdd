using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HoneyHive.Platform.State;

/// <summary>
/// <see cref="IStateStore"/> on Redis: each key is a hash holding the value and its ETag, and a
/// Lua script compares and writes in one atomic step.
/// </summary>
/// <remarks>
/// An ETag is a fresh random token per write, never a counter, so a key that is deleted and
/// written again can never hand an old ETag holder a false match.
/// </remarks>
public sealed class RedisStateStore : IStateStore
{
    private const string ValueField = "v";
    private const string ETagField = "e";

    // KEYS[1] = hash; ARGV[1] = value, ARGV[2] = new etag, ARGV[3] = '1' to check, ARGV[4] = expected etag.
    // A missing key reads as false, which never equals a string: TrySave with an etag fails after a delete.
    private const string CompareAndSetScript = """
        if ARGV[3] == '1' and redis.call('HGET', KEYS[1], 'e') ~= ARGV[4] then
          return 0
        end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
        return 1
        """;

    private static readonly RedisValue[] Fields = [ValueField, ETagField];

    private readonly IConnectionMultiplexer _redis;
    private readonly string _keyPrefix;
    private readonly ILogger<RedisStateStore> _logger;

    public RedisStateStore(IConnectionMultiplexer redis, string keyPrefix, ILogger<RedisStateStore> logger)
    {
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _redis = redis;
        _keyPrefix = keyPrefix;
        _logger = logger;
    }

    public async Task<StateEntry> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        cancellationToken.ThrowIfCancellationRequested();
        var values = await Database.HashGetAsync(RedisKeyFor(key), Fields);
        return values[0].IsNull || values[1].IsNull
            ? new StateEntry(key, null, null)
            : new StateEntry(key, (byte[])values[0]!, values[1].ToString());
    }

    public async Task<bool> TrySaveAsync(string key, ReadOnlyMemory<byte> value, string? etag, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Database.ScriptEvaluateAsync(
            CompareAndSetScript,
            [RedisKeyFor(key)],
            [value, Guid.NewGuid().ToString("N"), etag is null ? "0" : "1", etag ?? ""]);
        var saved = (long)result == 1;
        if (!saved) _logger.LogDebug("State {Key} changed since ETag {ETag} was read; write refused", key, etag);
        return saved;
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        cancellationToken.ThrowIfCancellationRequested();
        await Database.KeyDeleteAsync(RedisKeyFor(key));
    }

    private IDatabase Database => _redis.GetDatabase();

    private RedisKey RedisKeyFor(string key) => _keyPrefix + key;
}
