using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Objects.Encryption;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Objects.Encryption;

/// <summary>
/// The whole object-store contract through the encrypting decorator, with every key encrypted (one scope), over the
/// filesystem store: encryption must not change what a store does, including 20 MB streamed objects.
/// </summary>
public sealed class EncryptedStoreContractTests : ObjectStoreContract
{
    private readonly string root = Path.Combine(TestServers.DataDirectory, "objects-enc-contract", Guid.NewGuid().ToString("N"));

    protected override Task<IObjectStore> CreateStoreAsync()
    {
        var inner = new FileSystemObjectStore(root, NullLogger<FileSystemObjectStore>.Instance);
        return Task.FromResult<IObjectStore>(new EncryptingObjectStore(inner, EncryptionTestKeys.DataKeys(inner), _ => "everything"));
    }

    public override Task DisposeAsync()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}
