using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.Platform.State;

/// <summary>Registration of the Dapr state store (called from <see cref="StateStoreExtensions"/> in Dapr mode).</summary>
public static class DaprStateStoreExtensions
{
    /// <summary>A <see cref="Dapr.Client.DaprClient"/> (shared with pub/sub) and <see cref="DaprStateStore"/> as <see cref="IStateStore"/>.</summary>
    public static IServiceCollection AddDaprStateStore(this IServiceCollection services)
    {
        services.AddDaprClient();
        services.TryAddSingleton<IStateStore, DaprStateStore>();
        return services;
    }
}
