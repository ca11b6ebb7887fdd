namespace HoneyHive.Platform.Objects;

/// <summary>S3 settings, bound from <c>ObjectStore:S3</c>.</summary>
public sealed class S3ObjectStoreOptions
{
    /// <summary>Endpoint of an S3-compatible store (MinIO, Ceph, s3rver); unset for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The bucket; setting it is what selects the S3 store.</summary>
    public string? Bucket { get; set; }

    /// <summary>AWS region, or the signing region of a compatible store (us-east-1 when unset).</summary>
    public string? Region { get; set; }

    /// <summary>Access key; with <see cref="SecretKey"/> it replaces the SDK's default credential chain.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Secret key paired with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// Path-style URLs (<c>endpoint/bucket/key</c>) instead of virtual hosts; null means true exactly
    /// when <see cref="ServiceUrl"/> is set, since compatible stores rarely serve bucket subdomains.
    /// </summary>
    public bool? ForcePathStyle { get; set; }
}
