using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.State;

/// <summary>Registers the state store for the configured mode.</summary>
public static class StateStoreExtensions
{
    /// <summary>Redis (Local) or Dapr state (Dapr).</summary>
    public static IHostApplicationBuilder AddStateStore(this IHostApplicationBuilder builder)
    {
        switch (builder.Configuration.GetHostingMode())
        {
            case HostingMode.Local:
                builder.AddRedisStateStore();
                break;
            case HostingMode.Dapr:
                // TODO(lead): replace with DaprStateStore.AddDaprStateStore(builder.Services) once that file lands.
                throw new NotSupportedException("Dapr state store registers in DaprStateStore.cs");
            default:
                throw new NotSupportedException($"No state store for hosting mode {builder.Configuration.GetHostingMode()}.");
        }
        return builder;
    }
}
