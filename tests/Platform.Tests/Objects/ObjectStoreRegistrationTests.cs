using System.Text;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.Tests.Objects;

public sealed class ObjectStoreRegistrationTests(S3PeerFixture peer) : IClassFixture<S3PeerFixture>, IDisposable
{
    private readonly string _root = Path.Combine(TestServers.DataDirectory, "objects-reg", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        if (File.Exists(_root)) File.Delete(_root);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddObjectStore();
        return builder.Build();
    }

    private static async Task<HealthStatus> HealthAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "objectstore");
        return Assert.Single(report.Entries, e => e.Key == "objectstore").Value.Status;
    }

    [Fact]
    public async Task Without_a_bucket_the_filesystem_store_is_used_at_the_configured_path()
    {
        using var host = Build(new() { ["ObjectStore:Path"] = _root });

        var store = Assert.IsType<FileSystemObjectStore>(host.Services.GetRequiredService<IObjectStore>());
        Assert.Equal(Path.GetFullPath(_root), store.Root);
        Assert.Equal(HealthStatus.Healthy, await HealthAsync(host));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root)); // the probe cleans up after itself
    }

    [Fact]
    public async Task With_the_master_key_set_project_payloads_are_encrypted_on_disk()
    {
        using var host = Build(new() { ["ObjectStore:Path"] = _root, ["Secrets:MasterKey"] = Convert.ToBase64String(new byte[32]) });
        var store = Assert.IsType<HoneyHive.Platform.Objects.Encryption.EncryptingObjectStore>(host.Services.GetRequiredService<IObjectStore>());
        Assert.IsType<FileSystemObjectStore>(store.Inner);

        await store.PutAsync("payloads/p1/e/1/inputs.json", new MemoryStream("{\"secret\":\"plaintext-marker\"}"u8.ToArray()), CancellationToken.None);

        var onDisk = await File.ReadAllBytesAsync(Path.Combine(_root, "payloads", "p1", "e", "1", "inputs.json"));
        Assert.True(onDisk.AsSpan().IndexOf("plaintext-marker"u8) < 0, "the payload is stored in plaintext");
        Assert.Equal(HealthStatus.Healthy, await HealthAsync(host));
    }

    [Fact]
    public async Task The_filesystem_health_check_fails_when_the_folder_cannot_take_a_write()
    {
        using var host = Build(new() { ["ObjectStore:Path"] = _root });
        _ = host.Services.GetRequiredService<IObjectStore>();
        // Running as root, permissions would not stop us: replace the folder with a file instead.
        Directory.Delete(_root);
        await File.WriteAllTextAsync(_root, "not a folder");

        Assert.Equal(HealthStatus.Unhealthy, await HealthAsync(host));
    }

    [Fact]
    public async Task With_a_bucket_the_s3_store_is_used_and_reachable()
    {
        using var host = Build(new()
        {
            ["ObjectStore:Path"] = _root,
            ["ObjectStore:S3:ServiceUrl"] = peer.ServiceUrl,
            ["ObjectStore:S3:Bucket"] = peer.Bucket,
            ["ObjectStore:S3:AccessKey"] = S3PeerFixture.AccessKey,
            ["ObjectStore:S3:SecretKey"] = S3PeerFixture.AccessKey,
        });

        var store = Assert.IsType<S3ObjectStore>(host.Services.GetRequiredService<IObjectStore>());
        Assert.Equal(peer.Bucket, store.Bucket);
        var key = $"reg/{Guid.NewGuid():N}";
        await store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes("via DI")), CancellationToken.None);
        await using (var read = await store.GetAsync(key, CancellationToken.None))
        {
            Assert.NotNull(read);
            Assert.Equal("via DI", await new StreamReader(read).ReadToEndAsync());
        }
        Assert.Equal(HealthStatus.Healthy, await HealthAsync(host));
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public async Task The_s3_health_check_fails_for_a_missing_bucket()
    {
        using var host = Build(new()
        {
            ["ObjectStore:S3:ServiceUrl"] = peer.ServiceUrl,
            ["ObjectStore:S3:Bucket"] = "missing-" + Guid.NewGuid().ToString("N")[..8],
            ["ObjectStore:S3:AccessKey"] = S3PeerFixture.AccessKey,
            ["ObjectStore:S3:SecretKey"] = S3PeerFixture.AccessKey,
        });

        Assert.Equal(HealthStatus.Unhealthy, await HealthAsync(host));
    }
}
