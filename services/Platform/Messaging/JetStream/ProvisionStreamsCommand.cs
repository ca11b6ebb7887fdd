using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Messaging.JetStream;

/// <summary>
/// <c>provision-streams</c>: create or update the JetStream streams and exit. Dapr's pubsub.jetstream
/// creates no stream, so on Kubernetes an init container runs this before a pod that publishes or
/// subscribes starts its sidecar. It is the code single-node mode runs at start
/// (<see cref="JetStreamTopology"/>, same <c>Messaging</c> settings), so both modes get the same streams.
/// Reads <c>ConnectionStrings:nats</c> and <c>Messaging:*</c> from the environment and the arguments.
/// </summary>
public static class ProvisionStreamsCommand
{
    /// <summary>The first command-line argument that selects this command.</summary>
    public const string Name = "provision-streams";

    /// <summary>Provision, retrying while NATS is not reachable, for at most <c>--timeout</c> (default 5 minutes).</summary>
    /// <returns>0 once every stream exists, 1 when the timeout passed or the configuration is incomplete.</returns>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateApplicationBuilder(args);
        var url = builder.Configuration.GetConnectionString(MessagingExtensions.NatsConnectionName);
        if (string.IsNullOrWhiteSpace(url))
        {
            await Console.Error.WriteLineAsync($"{Name}: ConnectionStrings:{MessagingExtensions.NatsConnectionName} is not set (e.g. ConnectionStrings__nats=nats://nats:4222).");
            return 1;
        }

        var timeout = builder.Configuration.GetValue("timeout", TimeSpan.FromMinutes(5));
        builder.Services.AddOptions<MessagingOptions>().Bind(builder.Configuration.GetSection(MessagingOptions.Section));
        builder.Services.AddJetStreamProvisioning(url, Name);
        var host = builder.Build();
        // The NATS connection is only asynchronously disposable.
        await using var disposeHost = (IAsyncDisposable)host;
        var topology = host.Services.GetRequiredService<JetStreamTopology>();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProvisionStreamsCommand));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await topology.EnsureStreamsAsync(deadline.Token);
                return 0;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                logger.LogError("Streams were not provisioned within {Timeout}", timeout);
                return 1;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not provision JetStream streams; retrying in {Delay}", delay);
            }

            try
            {
                await Task.Delay(delay, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                logger.LogError("Streams were not provisioned within {Timeout}", timeout);
                return 1;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }
}
