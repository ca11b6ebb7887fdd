using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Messaging.JetStream;

/// <summary>
/// Provisions the streams when the host starts. A NATS server that is not up yet does not stop the
/// process from starting: provisioning retries in the background and consumers wait for it.
/// </summary>
internal sealed class JetStreamProvisioner(JetStreamTopology topology, ILogger<JetStreamProvisioner> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await topology.EnsureStreamsAsync(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not provision JetStream streams; retrying in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }
}
