using HoneyHive.Platform.Messaging.JetStream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Messaging.Dapr;

/// <summary>
/// In Dapr mode with <c>ConnectionStrings:nats</c> set (dapr.yaml), an app that subscribes does not
/// start listening before the streams exist. daprd asks the app for its subscriptions once the app
/// port answers, and pubsub.jetstream fails a subscription whose stream is missing (it looks the
/// stream up by subject and never creates one), so holding start-up back closes that race.
/// An app without subscriptions (ingestion) starts at once and answers 503 until NATS is there.
/// </summary>
internal sealed class StreamsBeforeSubscriptions(
    JetStreamTopology topology,
    IServiceProvider services,
    ILogger<StreamsBeforeSubscriptions> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!services.GetServices<BatchSubscription>().Any()) return;
        logger.LogInformation("Waiting for the JetStream streams before serving the sidecar's subscriptions");
        await topology.WhenReadyAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
