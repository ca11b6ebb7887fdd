using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HoneyHive.Ingestion.Backpressure;

/// <summary>
/// The Writer's lag as ingestion sees it: healthy while accepting, degraded (still 200: the Host serves,
/// exporters are told to retry) while back-pressure refuses new data. The description carries the figures.
/// </summary>
public sealed class BackpressureHealthCheck(IngestionBackpressure backpressure) : IHealthCheck
{
    public const string Name = "ingestion-lag";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lag = backpressure.Lag;
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"Writer lag {lag.Age.TotalSeconds:0.0} s, projected {(lag.Projected ?? lag.Age).TotalSeconds:0.0} s, backlog {lag.Backlog} messages, drain {lag.DrainPerSecond ?? 0:0} messages/s.");
        var state = backpressure.Current;
        return Task.FromResult(state.Accepting || state.LogUnavailable
            ? HealthCheckResult.Healthy(figures)
            : HealthCheckResult.Degraded(state.Reason + " " + figures));
    }
}
