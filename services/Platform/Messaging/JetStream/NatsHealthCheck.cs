using Microsoft.Extensions.Diagnostics.HealthChecks;
using NATS.Client.Core;

namespace HoneyHive.Platform.Messaging.JetStream;

/// <summary>Healthy when the NATS connection is open and the server answers a ping.</summary>
internal sealed class NatsHealthCheck(INatsConnection connection) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var rtt = await connection.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy($"NATS answered in {rtt.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is OperationCanceledException or NatsException)
        {
            return HealthCheckResult.Unhealthy($"NATS is {connection.ConnectionState}", ex);
        }
    }
}
