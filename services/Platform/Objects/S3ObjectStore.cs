using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Objects;

/// <summary>Objects in one S3 (or S3-compatible) bucket, configured under <c>ObjectStore:S3</c>.</summary>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly IAmazonS3 _s3;
    private readonly TransferUtility _transfer;
    private readonly ILogger<S3ObjectStore> _logger;

    private readonly int _listPageSize;

    /// <param name="s3">The client (see <see cref="CreateClient"/>).</param>
    /// <param name="bucket">The bucket objects live in.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="listPageSize">Keys per ListObjectsV2 page; S3 serves at most 1,000.</param>
    public S3ObjectStore(IAmazonS3 s3, string bucket, ILogger<S3ObjectStore> logger, int listPageSize = 1000)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        ArgumentOutOfRangeException.ThrowIfLessThan(listPageSize, 1);
        _s3 = s3;
        Bucket = bucket;
        _logger = logger;
        _listPageSize = listPageSize;
        // TransferUtility switches to a multipart upload for big or unseekable streams.
        _transfer = new TransferUtility(s3);
    }

    /// <summary>The bucket objects live in.</summary>
    public string Bucket { get; }

    /// <summary>An S3 client for <paramref name="options"/>.</summary>
    public static IAmazonS3 CreateClient(S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            // SDK v4 adds CRC32 flexible checksums to every request and validates them on every
            // response by default; S3-compatible stores (MinIO releases, s3rver) do not all
            // understand the aws-chunked trailers this needs. Checksums only where S3 requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        var region = string.IsNullOrWhiteSpace(options.Region) ? null : options.Region;
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        config.ForcePathStyle = options.ForcePathStyle ?? !string.IsNullOrWhiteSpace(options.ServiceUrl);

        return !string.IsNullOrEmpty(options.AccessKey) && !string.IsNullOrEmpty(options.SecretKey)
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        await _transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = new LeaveOpenStream(content),
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
        }, cancellationToken);
    }

    public async Task<Stream?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        try
        {
            var response = await _s3.GetObjectAsync(Bucket, key, cancellationToken);
            // Disposing the response stream releases the HTTP response behind it.
            return response.ResponseStream;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is "NoSuchKey" or null or "NotFound")
        {
            return null;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectKey.ValidatePrefix(prefix);
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, MaxKeys = _listPageSize };
        while (true)
        {
            var response = await _s3.ListObjectsV2Async(request, cancellationToken);
            // SDK v4 leaves collections null rather than empty.
            foreach (var item in response.S3Objects ?? [])
            {
                yield return item.Key;
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) yield break;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        await _s3.DeleteObjectAsync(Bucket, key, cancellationToken);
        _logger.LogDebug("Deleted {Key} from bucket {Bucket}", key, Bucket);
    }

    /// <summary>Whether the bucket answers a one-key listing with our credentials.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, MaxKeys = 1 }, cancellationToken);
    }
}
