using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.Platform.Objects;

/// <summary>Registers the object store: S3 when <c>ObjectStore:S3:Bucket</c> is set, the filesystem otherwise.</summary>
public static class ObjectStoreExtensions
{
    /// <summary>Where the filesystem store keeps objects when <c>ObjectStore:Path</c> is unset.</summary>
    public const string DefaultPath = ".data/objects";

    /// <summary>Filesystem or S3, plus the "objectstore" health check. Both modes use the same store.</summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder)
    {
        var s3Section = builder.Configuration.GetSection("ObjectStore:S3");
        if (!string.IsNullOrWhiteSpace(s3Section["Bucket"]))
        {
            builder.Services.AddOptions<S3ObjectStoreOptions>().Bind(s3Section);
            builder.Services.TryAddSingleton<IAmazonS3>(sp =>
                S3ObjectStore.CreateClient(sp.GetRequiredService<IOptions<S3ObjectStoreOptions>>().Value));
            builder.Services.TryAddSingleton<IObjectStore>(sp => new S3ObjectStore(
                sp.GetRequiredService<IAmazonS3>(),
                sp.GetRequiredService<IOptions<S3ObjectStoreOptions>>().Value.Bucket!,
                sp.GetRequiredService<ILogger<S3ObjectStore>>()));
        }
        else
        {
            // Relative paths resolve against the working directory, where ./hh keeps .data/.
            var path = builder.Configuration["ObjectStore:Path"];
            if (string.IsNullOrWhiteSpace(path)) path = DefaultPath;
            builder.Services.TryAddSingleton<IObjectStore>(sp =>
                new FileSystemObjectStore(path, sp.GetRequiredService<ILogger<FileSystemObjectStore>>()));
        }

        builder.Services.AddHealthChecks().AddCheck<ObjectStoreHealthCheck>("objectstore");
        return builder;
    }
}
