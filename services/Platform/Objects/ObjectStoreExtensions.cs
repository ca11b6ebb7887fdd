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

    /// <summary>Service key of the object store's <see cref="IAmazonS3"/> client.</summary>
    public const string ClientKey = "objectstore";

    /// <summary>Filesystem or S3, plus the "objectstore" health check. Both modes use the same store. Registers once.</summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder)
    {
        if (!builder.Services.RegisterOnce<IObjectStore>()) return builder;
        var s3Section = builder.Configuration.GetSection("ObjectStore:S3");
        if (!string.IsNullOrWhiteSpace(s3Section["Bucket"]))
        {
            builder.Services.AddOptions<S3ObjectStoreOptions>().Bind(s3Section);
            // Keyed: another module's S3 client (other credentials or endpoint) must not be mistaken for ours.
            builder.Services.TryAddKeyedSingleton<IAmazonS3>(ClientKey, (sp, _) =>
                S3ObjectStore.CreateClient(sp.GetRequiredService<IOptions<S3ObjectStoreOptions>>().Value));
            builder.Services.TryAddSingleton<IObjectStore>(sp => new S3ObjectStore(
                sp.GetRequiredKeyedService<IAmazonS3>(ClientKey),
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
