using System.Buffers.Binary;
using System.Text;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.State;

public sealed class RedisStateStoreTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly RedisStateStore _store = new(fixture.Redis, fixture.KeyPrefix, NullLogger<RedisStateStore>.Instance);
    private readonly CancellationToken _ct = CancellationToken.None;

    private static string NewKey() => $"k-{Guid.NewGuid():N}";

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Get_of_a_missing_key_has_no_value_and_no_etag()
    {
        var key = NewKey();
        var entry = await _store.GetAsync(key, _ct);
        Assert.Equal(key, entry.Key);
        Assert.Null(entry.Value);
        Assert.Null(entry.ETag);
    }

    [Fact]
    public async Task Save_then_get_round_trips_the_value_with_an_etag()
    {
        var key = NewKey();
        byte[] value = [0, 1, 2, 255, 254, (byte)'x'];
        Assert.True(await _store.TrySaveAsync(key, value, etag: null, _ct));

        var entry = await _store.GetAsync(key, _ct);
        Assert.Equal(value, entry.Value);
        Assert.False(string.IsNullOrEmpty(entry.ETag));
    }

    [Fact]
    public async Task Save_with_the_current_etag_succeeds_and_issues_a_new_etag()
    {
        var key = NewKey();
        await _store.TrySaveAsync(key, Bytes("one"), null, _ct);
        var first = await _store.GetAsync(key, _ct);

        Assert.True(await _store.TrySaveAsync(key, Bytes("two"), first.ETag, _ct));

        var second = await _store.GetAsync(key, _ct);
        Assert.Equal(Bytes("two"), second.Value);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.False(await _store.TrySaveAsync(key, Bytes("three"), first.ETag, _ct));
        Assert.Equal(Bytes("two"), (await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Two_writers_with_the_same_etag_exactly_one_wins()
    {
        var key = NewKey();
        await _store.TrySaveAsync(key, Bytes("base"), null, _ct);
        var etag = (await _store.GetAsync(key, _ct)).ETag;

        var results = await Task.WhenAll(
            Task.Run(() => _store.TrySaveAsync(key, Bytes("writer-a"), etag, _ct), _ct),
            Task.Run(() => _store.TrySaveAsync(key, Bytes("writer-b"), etag, _ct), _ct));

        Assert.Single(results, r => r);
        var winner = results[0] ? "writer-a" : "writer-b";
        Assert.Equal(Bytes(winner), (await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Save_with_an_old_etag_after_delete_fails()
    {
        var key = NewKey();
        await _store.TrySaveAsync(key, Bytes("v1"), null, _ct);
        var etag = (await _store.GetAsync(key, _ct)).ETag;

        await _store.DeleteAsync(key, _ct);

        Assert.False(await _store.TrySaveAsync(key, Bytes("v2"), etag, _ct));
        Assert.Null((await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task An_etag_from_before_a_delete_and_recreate_does_not_match()
    {
        var key = NewKey();
        await _store.TrySaveAsync(key, Bytes("v1"), null, _ct);
        var oldETag = (await _store.GetAsync(key, _ct)).ETag;
        await _store.DeleteAsync(key, _ct);
        await _store.TrySaveAsync(key, Bytes("v1"), null, _ct);

        Assert.False(await _store.TrySaveAsync(key, Bytes("stale"), oldETag, _ct));
        Assert.Equal(Bytes("v1"), (await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Save_with_an_etag_on_a_missing_key_fails()
    {
        var key = NewKey();
        Assert.False(await _store.TrySaveAsync(key, Bytes("v"), "some-etag", _ct));
        Assert.False(await _store.TrySaveAsync(key, Bytes("v"), "", _ct));
        Assert.Null((await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Save_without_etag_is_last_write_wins()
    {
        var key = NewKey();
        await _store.TrySaveAsync(key, Bytes("first"), null, _ct);
        var etag = (await _store.GetAsync(key, _ct)).ETag;
        Assert.True(await _store.TrySaveAsync(key, Bytes("second"), etag, _ct));

        Assert.True(await _store.TrySaveAsync(key, Bytes("third"), null, _ct));
        Assert.Equal(Bytes("third"), (await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Delete_of_a_missing_key_is_not_an_error()
    {
        var key = NewKey();
        await _store.DeleteAsync(key, _ct);
        Assert.Null((await _store.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Keys_live_under_the_configured_prefix()
    {
        var key = NewKey();
        await _store.TrySaveAsync(key, Bytes("v"), null, _ct);

        var db = fixture.Redis.GetDatabase();
        Assert.True(await db.KeyExistsAsync(fixture.KeyPrefix + key));
        Assert.False(await db.KeyExistsAsync(key));

        var otherPrefix = new RedisStateStore(fixture.Redis, fixture.KeyPrefix + "other:", NullLogger<RedisStateStore>.Instance);
        Assert.Null((await otherPrefix.GetAsync(key, _ct)).Value);
    }

    [Fact]
    public async Task Concurrent_compare_and_set_increments_reach_the_exact_total()
    {
        const int Workers = 6;
        const int IncrementsEach = 40;
        var key = NewKey();

        async Task WorkerAsync()
        {
            for (var i = 0; i < IncrementsEach; i++)
            {
                while (true)
                {
                    var entry = await _store.GetAsync(key, _ct);
                    var current = entry.Value is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(entry.Value);
                    var next = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(next, current + 1);
                    if (await _store.TrySaveAsync(key, next, entry.ETag, _ct)) break;
                }
            }
        }

        // Created up front so every increment, the first included, is a compare-and-set.
        Assert.True(await _store.TrySaveAsync(key, new byte[8], null, _ct));
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkerAsync, _ct)));

        var final = await _store.GetAsync(key, _ct);
        Assert.NotNull(final.Value);
        Assert.Equal(Workers * IncrementsEach, BinaryPrimitives.ReadInt64LittleEndian(final.Value));
    }
}
