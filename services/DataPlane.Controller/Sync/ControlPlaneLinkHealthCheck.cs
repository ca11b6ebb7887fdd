using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>Unhealthy until the first full snapshot from the CP is in dpdb: before that no API key works.</summary>
internal sealed class ControlPlaneLinkHealthCheck(ControlPlaneLink link) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(link.FirstSnapshotApplied.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Waiting for the first snapshot from the control plane."));
}
