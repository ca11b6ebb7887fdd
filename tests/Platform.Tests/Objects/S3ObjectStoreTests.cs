using Amazon.S3;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Objects;

/// <summary>The object store contract against a real S3 API (s3rver), one fresh bucket per test.</summary>
public sealed class S3ObjectStoreTests(S3PeerFixture peer) : ObjectStoreContract, IClassFixture<S3PeerFixture>
{
    protected override async Task<IObjectStore> CreateStoreAsync() =>
        new S3ObjectStore(peer.Client, await peer.CreateBucketAsync(), NullLogger<S3ObjectStore>.Instance);

    [Fact]
    public async Task Listing_follows_continuation_tokens_across_pages()
    {
        var paged = new S3ObjectStore(peer.Client, await peer.CreateBucketAsync(), NullLogger<S3ObjectStore>.Instance, listPageSize: 2);
        string[] keys = ["p/0", "p/1", "p/2", "p/3", "p/4", "q/5"];
        foreach (var key in keys) await paged.PutAsync(key, new MemoryStream([1]), Ct);

        var listed = new List<string>();
        await foreach (var key in paged.ListAsync("p/", Ct)) listed.Add(key);
        Assert.Equal(keys[..5], listed);
    }

    [Fact]
    public async Task An_unknown_bucket_is_an_error_not_an_empty_result()
    {
        var store = new S3ObjectStore(peer.Client, "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], NullLogger<S3ObjectStore>.Instance);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => store.GetAsync("k", Ct));
    }
}
