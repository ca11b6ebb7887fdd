using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HoneyHive.Platform.Analytics;

/// <summary>Healthy when the analytics store answers <c>SELECT 1</c>.</summary>
public sealed class AnalyticsHealthCheck(IAnalyticsStore store) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var rows = await store.QueryAsync("SELECT 1 AS ok", null, cancellationToken);
            return rows.Count == 1 && rows[0].GetProperty("ok").GetInt32() == 1
                ? HealthCheckResult.Healthy($"{store.Backend} answers")
                : HealthCheckResult.Unhealthy($"{store.Backend} answered SELECT 1 with {rows.Count} rows");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{store.Backend} failed SELECT 1", e);
        }
    }
}
