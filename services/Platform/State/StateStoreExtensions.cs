using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.State;

/// <summary>Registers the state store for the configured mode.</summary>
public static class StateStoreExtensions
{
    /// <summary>Redis (Local) or Dapr state (Dapr). Registers once however often it is called.</summary>
    public static IHostApplicationBuilder AddStateStore(this IHostApplicationBuilder builder)
    {
        if (!builder.Services.RegisterOnce<IStateStore>()) return builder;
        switch (builder.Configuration.GetHostingMode())
        {
            case HostingMode.Local:
                builder.AddRedisStateStore();
                break;
            case HostingMode.Dapr:
                builder.Services.AddDaprStateStore();
                break;
            default:
                throw new NotSupportedException($"No state store for hosting mode {builder.Configuration.GetHostingMode()}.");
        }
        return builder;
    }
}
