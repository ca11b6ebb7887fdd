using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.Messaging;

/// <summary>Registers the publisher and batch subscriptions for the configured mode.</summary>
public static class MessagingExtensions
{
    /// <summary>JetStream (Local) or Dapr pub/sub (Dapr).</summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        // Adapters land with the NATS/Dapr work.
        return builder;
    }
}
