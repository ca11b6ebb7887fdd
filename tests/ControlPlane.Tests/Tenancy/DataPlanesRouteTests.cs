using System.Net;
using System.Security.Cryptography;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>GET /v1/orgs/{org_id}/data_planes: the data planes an org's virtual data planes run on, with their latest health report.</summary>
public sealed class DataPlanesRouteTests(TenancyApp cp) : IClassFixture<TenancyApp>, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hh-dp-route-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task An_owner_sees_the_latest_health_report_of_the_data_plane_its_virtual_data_plane_runs_on_and_not_others()
    {
        var org = await cp.SeedOrgAsync();
        var options = Options.Create(new SyncOptions { IdentityKeyPath = Path.Combine(folder, "cp.pem") });
        var registry = new DataPlaneRegistry(cp.Cpdb, new ControlPlaneIdentityKey(options), options, TimeProvider.System);
        // The seeded org's virtual data plane runs on cluster 'local'; 'elsewhere' serves nobody in it.
        using var local = new DataPlaneIdentity("local", Path.Combine(folder, "local.pem"));
        using var elsewhere = new DataPlaneIdentity("elsewhere", Path.Combine(folder, "elsewhere.pem"));
        await registry.RegisterAsync(local.CreateRegistration(DateTimeOffset.UtcNow), CancellationToken.None);
        await registry.RegisterAsync(elsewhere.CreateRegistration(DateTimeOffset.UtcNow), CancellationToken.None);
        var report = new HealthReport
        {
            Status = "Healthy", IngestionEventsPerSecond = 1234.5, WriterLagSeconds = 0.25, WriterBacklog = 17, SyncVersion = 42,
            ReportedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Checks = { ["dpdb"] = "Healthy", ["nats"] = "Degraded" },
        };
        await registry.RecordHealthAsync("local", report, CancellationToken.None);

        var owner = await cp.AsUserAsync(org.OwnerId);
        var planes = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/data_planes")).DataAsync()).AsArray();
        var plane = Assert.Single(planes)!;
        var health = plane["health"]!;

        Assert.Equal("local", plane["id"]!.GetValue<string>());
        Assert.Equal(DataPlaneIdentityDocument.KeyId(local.PublicKey), plane["public_key_id"]!.GetValue<string>());
        Assert.Equal(42, plane["sync_version"]!.GetValue<long>());
        Assert.NotNull(plane["identity_expires_at"]);
        Assert.Equal((1234.5, 0.25, 17L), (health["ingestion_events_per_second"]!.GetValue<double>(), health["writer_lag_seconds"]!.GetValue<double>(), health["writer_backlog"]!.GetValue<long>()));
        Assert.Equal("Degraded", health["checks"]!["nats"]!.GetValue<string>());

        var viewer = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, role: "viewer"));
        using var refused = await viewer.GetAsync($"/v1/orgs/{org.OrgId}/data_planes");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
}
