using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Objects.Encryption;

/// <summary>Encryption at rest over the filesystem store: the bytes checked are the files on disk.</summary>
public sealed class FileSystemEncryptionAtRestTests : EncryptionAtRestChecks
{
    private readonly string root = Path.Combine(TestServers.DataDirectory, "objects-enc", Guid.NewGuid().ToString("N"));

    protected override Task<IObjectStore> CreateInnerAsync() =>
        Task.FromResult<IObjectStore>(new FileSystemObjectStore(root, NullLogger<FileSystemObjectStore>.Instance));

    protected override Task<byte[]> ReadStoredBytesAsync(string key) => File.ReadAllBytesAsync(Path.Combine(root, key), Ct);

    public override Task DisposeAsync()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}
