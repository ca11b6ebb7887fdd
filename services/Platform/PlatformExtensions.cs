using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Platform;

/// <summary>
/// The hosting mode that chooses the adapters of the mode seam. Each module registers the parts it
/// uses (<c>AddMessaging</c>, <c>AddStateStore</c>, <c>AddAnalyticsStore</c>, <c>AddObjectStore</c>);
/// every part registers once however many modules of one host ask for it.
/// </summary>
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

    /// <summary>
    /// True the first time a part is registered on <paramref name="services"/>, false afterwards: the
    /// single-node Host composes every module, and a second health check of the same name fails /health.
    /// </summary>
    internal static bool RegisterOnce<TPart>(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(RegisteredPart<TPart>))) return false;
        services.AddSingleton(new RegisteredPart<TPart>());
        return true;
    }

    private sealed class RegisteredPart<TPart>;
}
