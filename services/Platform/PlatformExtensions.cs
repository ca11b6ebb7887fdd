using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform;

/// <summary>Registers the adapters of the mode seam chosen by <c>Hosting:Mode</c>.</summary>
public static class PlatformExtensions
{
    /// <summary>The configured hosting mode (Local when unset).</summary>
    public static HostingMode GetHostingMode(this IConfiguration configuration)
    {
        var value = configuration["Hosting:Mode"];
        if (string.IsNullOrWhiteSpace(value)) return HostingMode.Local;
        return Enum.TryParse<HostingMode>(value, ignoreCase: true, out var mode)
            ? mode
            : throw new InvalidOperationException($"Hosting:Mode is '{value}'; use Local or Dapr.");
    }

    /// <summary>Message log, state store, analytics store and object store for the configured mode.</summary>
    public static IHostApplicationBuilder AddPlatform(this IHostApplicationBuilder builder)
    {
        builder.AddMessaging();
        builder.AddStateStore();
        builder.AddAnalyticsStore();
        builder.AddObjectStore();
        return builder;
    }
}
