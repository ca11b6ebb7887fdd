using Amazon.S3;
using HoneyHive.Platform.Objects.Encryption;
using HoneyHive.Platform.Security;
using Microsoft.Extensions.Configuration;
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

    /// <summary>Service key of the store that holds the bytes (filesystem or S3), under the encrypting decorator.</summary>
    public const string InnerKey = "objectstore-inner";

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
            builder.Services.TryAddKeyedSingleton<IObjectStore>(InnerKey, (sp, _) => new S3ObjectStore(
                sp.GetRequiredKeyedService<IAmazonS3>(ClientKey),
                sp.GetRequiredService<IOptions<S3ObjectStoreOptions>>().Value.Bucket!,
                sp.GetRequiredService<ILogger<S3ObjectStore>>()));
        }
        else
        {
            // Relative paths resolve against the working directory, where ./hh keeps .data/.
            var path = builder.Configuration["ObjectStore:Path"];
            if (string.IsNullOrWhiteSpace(path)) path = DefaultPath;
            builder.Services.TryAddKeyedSingleton<IObjectStore>(InnerKey, (sp, _) =>
                new FileSystemObjectStore(path, sp.GetRequiredService<ILogger<FileSystemObjectStore>>()));
        }
        builder.AddObjectEncryption();

        builder.Services.AddHealthChecks().AddCheck<ObjectStoreHealthCheck>("objectstore");
        return builder;
    }

    /// <summary>
    /// <see cref="IObjectStore"/> is the inner store wrapped by <see cref="EncryptingObjectStore"/> when the data plane's
    /// master key (<c>Secrets:MasterKey</c>, the ring that seals provider secrets) is configured. Without it the inner
    /// store is used as it is, with a warning: an ephemeral key, as development mode makes for provider secrets, would
    /// leave every stored object unreadable after a restart.
    /// </summary>
    private static void AddObjectEncryption(this IHostApplicationBuilder builder)
    {
        var masterKey = builder.Configuration["Secrets:MasterKey"];
        var previous = builder.Configuration.GetSection("Secrets:PreviousKeys").Get<List<string>>() ?? [];
        var options = builder.Configuration.GetSection(ObjectEncryptionOptions.Section).Get<ObjectEncryptionOptions>() ?? new ObjectEncryptionOptions();
        if (string.IsNullOrWhiteSpace(masterKey))
        {
            builder.Services.TryAddSingleton<IObjectStore>(sp =>
            {
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<EncryptingObjectStore>().LogWarning(
                    "Secrets:MasterKey is not set: large payloads, dead letters and archives are stored unencrypted. ./hh up sets it from .data/secrets.env.");
                return sp.GetRequiredKeyedService<IObjectStore>(InnerKey);
            });
            return;
        }
        if (MasterKeyRing.Problem(masterKey, previous, ObjectKeySettings, isDevelopment: false) is { } problem) throw new InvalidOperationException(problem);
        builder.Services.TryAddSingleton(sp => new ObjectDataKeys(
            sp.GetRequiredKeyedService<IObjectStore>(InnerKey),
            MasterKeyRing.Create(masterKey, previous, ObjectKeySettings, isDevelopment: false, sp.GetRequiredService<ILogger<ObjectDataKeys>>()),
            options,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<ObjectDataKeys>>()));
        builder.Services.TryAddSingleton<IObjectStore>(sp => new EncryptingObjectStore(
            sp.GetRequiredKeyedService<IObjectStore>(InnerKey), sp.GetRequiredService<ObjectDataKeys>(), encryptWrites: options.Enabled));
        builder.Services.AddHostedService<DataKeyRewrapService>();
    }

    private static readonly MasterKeySettings ObjectKeySettings = new("Secrets:MasterKey", "Secrets:PreviousKeys", "object-store data keys");
}
