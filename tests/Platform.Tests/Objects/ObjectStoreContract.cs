using System.Security.Cryptography;
using System.Text;
using HoneyHive.Platform.Objects;

namespace HoneyHive.Platform.Tests.Objects;

/// <summary>What every <see cref="IObjectStore"/> must do; each store runs it against its real backend.</summary>
public abstract class ObjectStoreContract : IAsyncLifetime
{
    protected CancellationToken Ct => CancellationToken.None;

    protected IObjectStore Store { get; private set; } = null!;

    /// <summary>A fresh, empty store for one test.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string> HostileKeys => new()
    {
        "",
        "..",
        "../escape",
        "a/../../escape",
        "a/..",
        "/etc/passwd",
        "a\\b",
        "..\\escape",
        "a\0b",
        "a//b",
        "a/",
        "./a",
        "a/./b",
        new string('k', 1025),
    };

    protected static MemoryStream Text(string s) => new(Encoding.UTF8.GetBytes(s));

    protected async Task<string?> ReadTextAsync(string key)
    {
        await using var stream = await Store.GetAsync(key, Ct);
        if (stream is null) return null;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(Ct);
    }

    protected async Task<List<string>> ListAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var key in Store.ListAsync(prefix, Ct)) keys.Add(key);
        return keys;
    }

    [Fact]
    public async Task Put_then_get_returns_the_same_bytes()
    {
        await Store.PutAsync("docs/hello.txt", Text("hello, world"), Ct);
        Assert.Equal("hello, world", await ReadTextAsync("docs/hello.txt"));
    }

    [Fact]
    public async Task An_empty_object_round_trips()
    {
        await Store.PutAsync("empty", new MemoryStream(), Ct);
        Assert.Equal("", await ReadTextAsync("empty"));
        Assert.Equal(["empty"], await ListAsync(""));
    }

    [Fact]
    public async Task Get_of_a_missing_key_returns_null()
    {
        Assert.Null(await Store.GetAsync("nothing/here", Ct));
    }

    [Fact]
    public async Task Put_overwrites_an_existing_object()
    {
        await Store.PutAsync("k", Text("a much longer first version"), Ct);
        await Store.PutAsync("k", Text("second"), Ct);
        Assert.Equal("second", await ReadTextAsync("k"));
        Assert.Equal(["k"], await ListAsync(""));
    }

    [Fact]
    public async Task List_returns_the_keys_under_a_prefix_in_ordinal_order()
    {
        // '-' (0x2D) sorts before '/' (0x2F): "logs/a-b" comes before everything under "logs/a/".
        string[] keys = ["logs/a/2", "logs/b", "logs/a-b", "other/x", "logs/a/1", "logs/A", "logs/a/sub/3", "top"];
        foreach (var key in keys) await Store.PutAsync(key, Text(key), Ct);

        Assert.Equal(keys.Order(StringComparer.Ordinal), await ListAsync(""));
        Assert.Equal(["logs/A", "logs/a-b", "logs/a/1", "logs/a/2", "logs/a/sub/3", "logs/b"], await ListAsync("logs/"));
        Assert.Equal(["logs/a-b", "logs/a/1", "logs/a/2", "logs/a/sub/3"], await ListAsync("logs/a"));
        Assert.Equal(["logs/a/1", "logs/a/2", "logs/a/sub/3"], await ListAsync("logs/a/"));
        Assert.Equal(["top"], await ListAsync("t"));
        Assert.Empty(await ListAsync("missing/"));
        Assert.Empty(await ListAsync("logs/c"));
    }

    [Fact]
    public async Task Delete_removes_the_object_and_tolerates_a_missing_one()
    {
        await Store.PutAsync("dead/1", Text("x"), Ct);
        await Store.PutAsync("dead/2", Text("y"), Ct);

        await Store.DeleteAsync("dead/1", Ct);
        await Store.DeleteAsync("dead/1", Ct);
        await Store.DeleteAsync("never/was", Ct);

        Assert.Null(await Store.GetAsync("dead/1", Ct));
        Assert.Equal("y", await ReadTextAsync("dead/2"));
        Assert.Equal(["dead/2"], await ListAsync(""));
    }

    [Fact]
    public async Task Keys_with_spaces_unicode_and_dots_inside_names_work()
    {
        string[] keys = ["with space/file name.json", "ünïcode/日本.txt", "a..b/.hidden", "x/y.z"];
        foreach (var key in keys) await Store.PutAsync(key, Text(key), Ct);
        foreach (var key in keys) Assert.Equal(key, await ReadTextAsync(key));
        Assert.Equal(keys.Order(StringComparer.Ordinal), await ListAsync(""));
    }

    [Theory]
    [MemberData(nameof(HostileKeys))]
    public async Task Hostile_keys_are_rejected(string key)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(key, Text("x"), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetAsync(key, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(key, Ct));
        Assert.Empty(await ListAsync(""));
    }

    [Theory]
    [InlineData("../")]
    [InlineData("/abs")]
    [InlineData("a/../")]
    [InlineData("a\\b")]
    [InlineData("a//")]
    [InlineData("..")]
    public async Task Hostile_prefixes_are_rejected(string prefix)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => ListAsync(prefix));
    }

    [Fact]
    public async Task A_20_MB_object_round_trips_streamed()
    {
        byte[] written;
        using (var source = new GeneratedStream(BigSize, seed: 42))
        {
            await Store.PutAsync("big/object.bin", source, Ct);
            Assert.False(source.IsDisposed, "the caller owns the stream it passes to PutAsync");
            written = source.Hash();
        }

        await AssertContentAsync("big/object.bin", written);
        Assert.Equal(["big/object.bin"], await ListAsync("big/"));
    }

    [Fact]
    public async Task A_20_MB_seekable_file_round_trips()
    {
        // Seekable sources of known length take the other upload path (S3: parts cut from the stream).
        var file = Path.Combine(TestServers.DataDirectory, $"source-{Guid.NewGuid():N}.bin");
        try
        {
            byte[] written;
            await using (var target = File.Create(file))
            using (var source = new GeneratedStream(BigSize, seed: 9))
            {
                await source.CopyToAsync(target, Ct);
                written = source.Hash();
            }
            await using (var upload = File.OpenRead(file))
            {
                await Store.PutAsync("big/file.bin", upload, Ct);
            }

            await AssertContentAsync("big/file.bin", written);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private const long BigSize = 20L * 1024 * 1024;

    private async Task AssertContentAsync(string key, byte[] expectedSha256)
    {
        await using var stream = await Store.GetAsync(key, Ct);
        Assert.NotNull(stream);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }

        Assert.Equal(BigSize, total);
        Assert.Equal(expectedSha256, hash.GetCurrentHash());
    }

    [Fact]
    public async Task A_failed_put_leaves_the_previous_object_intact()
    {
        await Store.PutAsync("k", Text("previous"), Ct);

        using var failing = new GeneratedStream(8L * 1024 * 1024, seed: 7, failAfter: 1024 * 1024);
        await Assert.ThrowsAnyAsync<Exception>(() => Store.PutAsync("k", failing, Ct));

        Assert.Equal("previous", await ReadTextAsync("k"));
        Assert.Equal(["k"], await ListAsync(""));
    }
}
