using System.Text;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Objects;

public sealed class FileSystemObjectStoreTests : ObjectStoreContract
{
    private readonly string _root = Path.Combine(TestServers.DataDirectory, "objects", Guid.NewGuid().ToString("N"));

    private FileSystemObjectStore FileStore => (FileSystemObjectStore)Store;

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new FileSystemObjectStore(_root, NullLogger<FileSystemObjectStore>.Instance));

    public override Task DisposeAsync()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Objects_are_plain_files_under_the_root()
    {
        await Store.PutAsync("a/b/c.txt", Text("content"), Ct);
        Assert.Equal("content", await File.ReadAllTextAsync(Path.Combine(_root, "a", "b", "c.txt"), Ct));
        Assert.Equal(Path.GetFullPath(_root), FileStore.Root);
    }

    [Fact]
    public async Task Temporary_files_are_not_listed_and_their_suffix_is_reserved()
    {
        await Store.PutAsync("d/real", Text("x"), Ct);
        // What a crash between create and rename leaves behind.
        await File.WriteAllTextAsync(Path.Combine(_root, "d", "real.0123.hh-tmp"), "partial", Ct);

        Assert.Equal(["d/real"], await ListAsync(""));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync("d/x.hh-tmp", Text("x"), Ct));
    }

    [Fact]
    public async Task Put_leaves_no_temporary_files_behind()
    {
        await Store.PutAsync("f/one", Text("1"), Ct);
        await Store.PutAsync("f/one", Text("2"), Ct);
        Assert.Equal(["one"], Directory.GetFiles(Path.Combine(_root, "f")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_reader_keeps_the_version_it_opened_while_a_put_replaces_it()
    {
        await Store.PutAsync("r", Text("old"), Ct);
        await using var reader = await Store.GetAsync("r", Ct);
        Assert.NotNull(reader);

        await Store.PutAsync("r", Text("new"), Ct);

        using var text = new StreamReader(reader, Encoding.UTF8);
        Assert.Equal("old", await text.ReadToEndAsync(Ct));
        Assert.Equal("new", await ReadTextAsync("r"));
    }

    [Fact]
    public async Task Delete_prunes_folders_left_empty_but_not_the_root()
    {
        await Store.PutAsync("x/y/z", Text("1"), Ct);
        await Store.PutAsync("x/keep", Text("2"), Ct);

        await Store.DeleteAsync("x/y/z", Ct);
        Assert.False(Directory.Exists(Path.Combine(_root, "x", "y")));
        Assert.True(Directory.Exists(Path.Combine(_root, "x")));

        await Store.DeleteAsync("x/keep", Ct);
        Assert.False(Directory.Exists(Path.Combine(_root, "x")));
        Assert.True(Directory.Exists(_root));
    }

    [Fact]
    public async Task A_folder_is_not_an_object()
    {
        await Store.PutAsync("folder/inside", Text("1"), Ct);
        Assert.Null(await Store.GetAsync("folder", Ct));
    }
}
