using Amazon.S3.Model;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Objects.Encryption;

/// <summary>Encryption at rest over a real S3 API (s3rver): the bytes checked are the object as S3 serves it raw.</summary>
public sealed class S3EncryptionAtRestTests(S3PeerFixture peer) : EncryptionAtRestChecks, IClassFixture<S3PeerFixture>
{
    private string bucket = "";

    protected override async Task<IObjectStore> CreateInnerAsync()
    {
        bucket = await peer.CreateBucketAsync();
        return new S3ObjectStore(peer.Client, bucket, NullLogger<S3ObjectStore>.Instance);
    }

    protected override async Task<byte[]> ReadStoredBytesAsync(string key)
    {
        using var response = await peer.Client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, Ct);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }
}
