using StackExchange.Redis;

namespace HoneyHive.Platform.Tests.State;

/// <summary>A connection to the test Redis and a key prefix no other test run shares; removes its keys at the end.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public ConnectionMultiplexer Redis { get; private set; } = null!;

    public string KeyPrefix { get; } = $"hh-test:{Guid.NewGuid():N}:";

    public async Task InitializeAsync()
    {
        Redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
    }

    public async Task DisposeAsync()
    {
        var db = Redis.GetDatabase();
        foreach (var endpoint in Redis.GetEndPoints())
        {
            await foreach (var key in Redis.GetServer(endpoint).KeysAsync(pattern: KeyPrefix + "*"))
            {
                await db.KeyDeleteAsync(key);
            }
        }
        await Redis.DisposeAsync();
    }
}
