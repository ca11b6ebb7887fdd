using System.Diagnostics;
using Dapper;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.DataPlane.Api;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>
/// Both controllers as real processes over real cpdb and dpdb: SIGKILL either of them in the middle of a large snapshot
/// or change set, and once both are back the DP holds exactly what the CP has. A DP that comes back resumes from its
/// version (changes only, no snapshot), and a revocation reaches it within 5 s.
/// </summary>
public sealed class ControllerCrashTests : IAsyncLifetime
{
    private const int Keys = 60_000;
    private readonly TestDatabase cpdb = new();
    private readonly TestDatabase dpdb = new();
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"hh-controllers-{Guid.NewGuid():N}");
    private readonly int cpPort = ControllerProcess.FreePort();
    private BootstrapResult created = null!;
    private ControllerProcess? cp;
    private ControllerProcess? dp;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        await Task.WhenAll(cpdb.InitializeAsync(), dpdb.InitializeAsync());
        await PostgresMigrator.MigrateAsync(cpdb.DataSource, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await PostgresMigrator.MigrateAsync(dpdb.DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        created = (await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None))!;
    }

    public async Task DisposeAsync()
    {
        if (dp is not null) await dp.DisposeAsync();
        if (cp is not null) await cp.DisposeAsync();
        await Task.WhenAll(cpdb.DisposeAsync(), dpdb.DisposeAsync());
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Killing_either_controller_mid_sync_leaves_the_data_plane_with_exactly_the_control_planes_state()
    {
        await SyncSeed.AddKeysAsync(cpdb.DataSource, created.ProjectId, created.OrgId, Keys);
        await AddAlertAsync();
        cp = StartControlPlane();
        dp = StartDataPlane();

        // 1. The DP dies in the middle of its first snapshot: some keys in, no version recorded.
        var start = DateTime.UtcNow;
        await KillMidSyncAsync(dp, start, 0);
        var afterFirstKill = await DpStateAsync(start);
        Assert.True(afterFirstKill is { Version: 0, Applied: > 0 and < Keys }, $"Not killed mid-snapshot: {afterFirstKill}");

        // Changes while it is down: revocations, hard deletes, new keys, a deleted project.
        await CpAsync("UPDATE api_keys SET revoked_at = now() WHERE id IN (SELECT id FROM api_keys ORDER BY id LIMIT 1000)");
        await CpAsync("DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE revoked_at IS NULL ORDER BY id DESC LIMIT 1000)");
        await SyncSeed.AddKeysAsync(cpdb.DataSource, created.ProjectId, created.OrgId, 2000);
        var doomed = await AddProjectWithKeyAsync();

        // 2. The DP comes back (no version: a snapshot again), and this time the CP dies in the middle of it.
        var restart = DateTime.UtcNow;
        dp = StartDataPlane();
        await KillMidSyncAsync(cp, restart, 0);
        var afterCpKill = await DpStateAsync(restart);
        Assert.True(afterCpKill is { Version: 0, Applied: > 0 }, $"Not killed mid-snapshot: {afterCpKill}");

        // Changes while the CP is down, then it comes back on the same address.
        await CpAsync("UPDATE projects SET deleted_at = now() WHERE id = @doomed", new { doomed });
        await CpAsync("UPDATE projects SET name = 'renamed while the CP was down' WHERE id = @ProjectId", new { created.ProjectId });
        cp = StartControlPlane();
        await ConvergedAsync();
        var snapshotAfterStep2 = await DpSnapshotIdAsync();

        // 3. The DP stops, every key changes, and the DP dies in the middle of applying that change set.
        await dp.KillAsync();
        var version = (await DpStateAsync(DateTime.UtcNow)).Version;
        await CpAsync("UPDATE api_keys SET scopes = ARRAY['read'] WHERE kind = 'project'");
        var delta = DateTime.UtcNow;
        dp = StartDataPlane();
        await KillMidSyncAsync(dp, delta, version);
        var afterDeltaKill = await DpStateAsync(delta);
        Assert.True(afterDeltaKill.Version == version && afterDeltaKill.Applied > 0, $"Not killed mid-change-set: {afterDeltaKill}");

        dp = StartDataPlane();
        await ConvergedAsync();
        // It resumed: the change sets since its version, not another snapshot.
        Assert.Equal(snapshotAfterStep2, await DpSnapshotIdAsync());
        Assert.Contains("at sync version " + version, cp.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_revoked_on_the_control_plane_is_refused_by_the_data_plane_within_5_s()
    {
        await AddAlertAsync();
        cp = StartControlPlane();
        dp = StartDataPlane();
        await ConvergedAsync();
        // As the DP API and ingestion look keys up: dpdb through the key directory with its default cache.
        var directory = new ApiKeyDirectory(dpdb.DataSource, new MemoryCache(new MemoryCacheOptions()), new ApiKeyDirectoryOptions());
        Assert.NotNull(await directory.FindAsync(created.ApiKey, CancellationToken.None));

        await CpAsync("UPDATE api_keys SET revoked_at = now(), updated_at = now()");
        var revoked = Stopwatch.StartNew();
        await Eventually.ValueAsync(async () => await directory.FindAsync(created.ApiKey, CancellationToken.None) is null, refused => refused,
            "the revoked key to be refused on the data plane", TimeSpan.FromSeconds(5) - revoked.Elapsed);
    }

    private ControllerProcess StartControlPlane() => ControllerProcess.Start("ControlPlane.Controller", new Dictionary<string, string>
    {
        ["ConnectionStrings__cpdb"] = cpdb.ConnectionString,
        ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{cpPort}",
        ["Kestrel__Endpoints__Grpc__Protocols"] = "Http2",
        ["Controller__Sync__IdentityKeyPath"] = Path.Combine(folder, "cp.pem"),
        // An idle stream moves the DP's version up every second, so "the DP reached the CP's version" comes quickly.
        ["Controller__Sync__Heartbeat"] = "00:00:01",
    });

    private ControllerProcess StartDataPlane() => ControllerProcess.Start("DataPlane.Controller", new Dictionary<string, string>
    {
        ["ConnectionStrings__dpdb"] = dpdb.ConnectionString,
        ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{ControllerProcess.FreePort()}",
        ["Controller__ControlPlaneUrl"] = $"http://127.0.0.1:{cpPort}",
        ["Controller__DataPlaneId"] = "dp-crash",
        ["Controller__IdentityPath"] = Path.Combine(folder, "dp.pem"),
    });

    private sealed record DpState(ulong Version, long Applied);

    /// <summary>The DP's version, and how many keys it wrote since <paramref name="since"/>.</summary>
    private async Task<DpState> DpStateAsync(DateTime since)
    {
        await using var connection = await dpdb.DataSource.OpenConnectionAsync();
        var version = await connection.ExecuteScalarAsync<long>("SELECT version FROM sync_state");
        var applied = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM api_keys WHERE synced_at >= @since", new { since });
        return new DpState((ulong)version, applied);
    }

    private async Task<Guid?> DpSnapshotIdAsync()
    {
        await using var connection = await dpdb.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid?>("SELECT snapshot_id FROM sync_state");
    }

    /// <summary>SIGKILLs <paramref name="victim"/> as soon as the DP has written keys since <paramref name="since"/> while its version is still <paramref name="version"/>.</summary>
    private async Task KillMidSyncAsync(ControllerProcess victim, DateTime since, ulong version)
    {
        var limit = Stopwatch.StartNew();
        while (limit.Elapsed < TimeSpan.FromMinutes(3))
        {
            var state = await DpStateAsync(since);
            if (state.Applied > 0 && state.Version == version)
            {
                await victim.KillAsync();
                return;
            }
            Assert.False(victim.HasExited, victim.Output);
            await Task.Delay(5);
        }
        throw new Xunit.Sdk.XunitException($"The DP wrote nothing within 3 minutes.\nCP:\n{cp?.Output}\nDP:\n{dp?.Output}");
    }

    /// <summary>Waits until the DP holds the version of a CP read taken now, then compares what each side holds.</summary>
    private async Task ConvergedAsync()
    {
        var target = await new ControlPlaneSyncSource(cpdb.DataSource).CurrentVersionAsync(CancellationToken.None);
        await Eventually.ValueAsync(async () => (await DpStateAsync(DateTime.UtcNow)).Version, v => v >= target,
            $"the DP to reach version {target}\nCP:\n{cp?.Output}\nDP:\n{dp?.Output}", TimeSpan.FromMinutes(3));

        await using var c = await cpdb.DataSource.OpenConnectionAsync();
        await using var d = await dpdb.DataSource.OpenConnectionAsync();
        const string live = "p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL";
        const string tree = "JOIN workspaces w ON w.id = p.workspace_id JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id";
        AssertSameSet(
            await c.QueryAsync<string>($"SELECT concat_ws('|', p.id, p.name, p.workspace_id, w.org_id) FROM projects p {tree} WHERE {live}"),
            await d.QueryAsync<string>("SELECT concat_ws('|', id, name, workspace_id, org_id) FROM projects"), "projects");
        AssertSameSet(
            await c.QueryAsync<string>(
                $"""
                SELECT concat_ws('|', k.id, k.project_id, encode(k.key_hash, 'hex'), array_to_string(k.scopes, ','), k.revoked_at IS NOT NULL)
                FROM api_keys k JOIN projects p ON p.id = k.project_id {tree} WHERE k.kind = 'project' AND {live}
                """),
            await d.QueryAsync<string>("SELECT concat_ws('|', id, project_id, encode(key_hash, 'hex'), array_to_string(scopes, ','), revoked) FROM api_keys"),
            "api keys");
        AssertSameSet(
            await c.QueryAsync<string>($"SELECT a.id::text FROM alerts a JOIN projects p ON p.id = a.project_id {tree} WHERE a.deleted_at IS NULL AND {live}"),
            await d.QueryAsync<string>("SELECT id::text FROM alerts"), "alerts");
    }

    private static void AssertSameSet(IEnumerable<string> controlPlane, IEnumerable<string> dataPlane, string what)
    {
        var cpSet = controlPlane.ToHashSet(StringComparer.Ordinal);
        var dpSet = dataPlane.ToHashSet(StringComparer.Ordinal);
        Assert.True(cpSet.SetEquals(dpSet),
            $"{what}: CP {cpSet.Count}, DP {dpSet.Count}, only on the CP {cpSet.Except(dpSet).Count()} (e.g. {cpSet.Except(dpSet).FirstOrDefault()}), " +
            $"only on the DP {dpSet.Except(cpSet).Count()} (e.g. {dpSet.Except(cpSet).FirstOrDefault()})");
        Assert.NotEmpty(cpSet);
    }

    private async Task CpAsync(string sql, object? parameters = null)
    {
        await using var connection = await cpdb.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters, commandTimeout: 300);
    }

    private async Task<Guid> AddProjectWithKeyAsync()
    {
        var project = Guid.NewGuid();
        await CpAsync("INSERT INTO projects (id, workspace_id, name) VALUES (@project, @WorkspaceId, 'doomed')", new { project, created.WorkspaceId });
        await SyncSeed.AddKeysAsync(cpdb.DataSource, project, created.OrgId, 3);
        return project;
    }

    private Task AddAlertAsync() => CpAsync(
        """
        INSERT INTO alerts (id, project_id, name, frequency, alert_type, aggregation, thresholds, notification_details)
        VALUES (gen_random_uuid(), @ProjectId, 'cost', 'HOURLY', 'AGGREGATE', 'AVERAGE',
                '{"critical": {"operator": "greater_than", "value": 1}, "resolved": {"operator": "less_than", "value": 1}}', '{}')
        """, new { created.ProjectId });
}
