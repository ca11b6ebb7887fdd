using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.State;

/// <summary>Registers the state store for the configured mode.</summary>
public static class StateStoreExtensions
{
    /// <summary>Redis (Local) or Dapr state (Dapr).</summary>
    public static IHostApplicationBuilder AddStateStore(this IHostApplicationBuilder builder)
    {
        return builder;
    }
}
