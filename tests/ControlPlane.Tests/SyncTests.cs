using System.Security.Cryptography;
using Dapper;
using Google.Protobuf;
using Grpc.Core;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>CP → DP sync of projects and key hashes, and the DP identity checks, against real databases.</summary>
public sealed class SyncTests : IAsyncLifetime
{
    private readonly TestDatabase cpdb = new();
    private readonly TestDatabase dpdb = new();
    private readonly string identityPath = Path.Combine(Path.GetTempPath(), $"hh-dp-{Guid.NewGuid():N}.pem");

    public async Task InitializeAsync()
    {
        await Task.WhenAll(cpdb.InitializeAsync(), dpdb.InitializeAsync());
        await PostgresMigrator.MigrateAsync(cpdb.DataSource, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await PostgresMigrator.MigrateAsync(dpdb.DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(cpdb.DisposeAsync(), dpdb.DisposeAsync());
        File.Delete(identityPath);
    }

    [Fact]
    public async Task A_snapshot_makes_the_bootstrap_key_work_on_the_data_plane_and_a_revocation_follows_as_a_delta()
    {
        var created = (await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None))!;
        var source = new ControlPlaneSyncSource(cpdb.DataSource);
        var applier = new SyncApplier(dpdb.DataSource);
        var directory = new ApiKeyDirectory(dpdb.DataSource, new MemoryCache(new MemoryCacheOptions()),
            new ApiKeyDirectoryOptions { CacheDuration = TimeSpan.Zero });

        var (snapshot, next) = await source.ReadAsync(null, CancellationToken.None);
        await applier.ApplyAsync(snapshot, CancellationToken.None);
        var identity = await directory.FindAsync(created.ApiKey, CancellationToken.None);

        Assert.True(snapshot.FullSnapshot);
        Assert.NotNull(identity);
        Assert.Equal(created.ProjectId, identity.ProjectId);
        Assert.Equal(created.OrgId, identity.OrgId);
        Assert.Null(await directory.FindAsync(created.ApiKey + "x", CancellationToken.None));

        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = now(), updated_at = now()");
        }
        var (delta, _) = await source.ReadAsync(next, CancellationToken.None);
        await applier.ApplyAsync(delta, CancellationToken.None);

        Assert.False(delta.FullSnapshot);
        Assert.True(delta.Version > snapshot.Version);
        Assert.Equal(delta.Version, await applier.CurrentVersionAsync(CancellationToken.None));
        Assert.Contains(delta.ApiKeys, k => k.Revoked);
        Assert.Null(await directory.FindAsync(created.ApiKey, CancellationToken.None));
    }

    [Fact]
    public async Task A_full_snapshot_removes_keys_the_control_plane_no_longer_has()
    {
        await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None);
        var source = new ControlPlaneSyncSource(cpdb.DataSource);
        var applier = new SyncApplier(dpdb.DataSource);
        await applier.ApplyAsync((await source.ReadAsync(null, CancellationToken.None)).Batch, CancellationToken.None);

        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("DELETE FROM api_keys");
        }
        await applier.ApplyAsync((await source.ReadAsync(null, CancellationToken.None)).Batch, CancellationToken.None);

        await using var dp = await dpdb.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await dp.ExecuteScalarAsync<int>("SELECT count(*) FROM api_keys"));
        Assert.Equal(1, await dp.ExecuteScalarAsync<int>("SELECT count(*) FROM projects"));
    }

    [Fact]
    public async Task The_first_key_is_pinned_and_forged_or_replayed_registrations_are_refused()
    {
        using var cpKey = NewControlPlaneKey();
        var registry = Registry(cpKey);
        using var identity = new DataPlaneIdentity("dp-1", identityPath);
        var now = DateTimeOffset.UtcNow;

        Assert.Equal("dp-1", (await registry.RegisterAsync(identity.CreateRegistration(now), CancellationToken.None)).DataPlaneId);
        // The identity survives a restart: the same key file registers again.
        using (var reloaded = new DataPlaneIdentity("dp-1", identityPath))
        {
            Assert.Equal("dp-1", (await registry.RegisterAsync(reloaded.CreateRegistration(now), CancellationToken.None)).DataPlaneId);
        }

        var impostorPath = identityPath + ".other";
        using (var impostor = new DataPlaneIdentity("dp-1", impostorPath))
        {
            var other = await Assert.ThrowsAsync<RpcException>(() => registry.RegisterAsync(impostor.CreateRegistration(now), CancellationToken.None));
            Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
        }
        File.Delete(impostorPath);

        var tampered = identity.CreateRegistration(now);
        tampered.TimestampUnixMs += 1;
        Assert.Equal(StatusCode.PermissionDenied,
            (await Assert.ThrowsAsync<RpcException>(() => registry.RegisterAsync(tampered, CancellationToken.None))).StatusCode);

        var stale = identity.CreateRegistration(now.AddHours(-1));
        Assert.Equal(StatusCode.PermissionDenied,
            (await Assert.ThrowsAsync<RpcException>(() => registry.RegisterAsync(stale, CancellationToken.None))).StatusCode);

        var garbageKey = identity.CreateRegistration(now);
        garbageKey.PublicKey = ByteString.CopyFromUtf8("not a key");
        Assert.Equal(StatusCode.PermissionDenied,
            (await Assert.ThrowsAsync<RpcException>(() => registry.RegisterAsync(garbageKey, CancellationToken.None))).StatusCode);
    }

    [Fact]
    public async Task A_registration_is_answered_with_an_identity_document_that_only_the_control_planes_key_and_this_data_planes_key_satisfy()
    {
        using var cpKey = NewControlPlaneKey();
        using var identity = new DataPlaneIdentity("dp-doc", identityPath);
        var registered = await Registry(cpKey).RegisterAsync(identity.CreateRegistration(DateTimeOffset.UtcNow), CancellationToken.None);
        var cpPublic = registered.ControlPlanePublicKey.ToByteArray();
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(cpKey.ExportSubjectPublicKeyInfo(), cpPublic);
        Assert.Null(await DataPlaneIdentityDocument.ValidateAsync(registered.IdentityDocument, cpPublic, "dp-doc", identity.PublicKey, now));
        using var otherCp = NewControlPlaneKey();
        Assert.NotNull(await DataPlaneIdentityDocument.ValidateAsync(registered.IdentityDocument, otherCp.ExportSubjectPublicKeyInfo(), "dp-doc", identity.PublicKey, now));
        Assert.NotNull(await DataPlaneIdentityDocument.ValidateAsync(registered.IdentityDocument, cpPublic, "dp-other", identity.PublicKey, now));
        using var otherDp = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.NotNull(await DataPlaneIdentityDocument.ValidateAsync(registered.IdentityDocument, cpPublic, "dp-doc", otherDp.ExportSubjectPublicKeyInfo(), now));
        Assert.NotNull(await DataPlaneIdentityDocument.ValidateAsync(registered.IdentityDocument, cpPublic, "dp-doc", identity.PublicKey, now.AddDays(31)));
        var parts = registered.IdentityDocument.Split('.');
        var forged = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("{\"sub\":\"dp-doc\",\"iss\":\"honeyhive-control-plane\",\"exp\":9999999999}") + "." + parts[2];
        Assert.NotNull(await DataPlaneIdentityDocument.ValidateAsync(forged, cpPublic, "dp-doc", identity.PublicKey, now));
    }

    [Fact]
    public async Task A_change_committed_late_by_an_older_transaction_is_not_skipped_by_the_version_read_before_it_committed()
    {
        var created = await BootstrapAsync();
        var source = new ControlPlaneSyncSource(cpdb.DataSource);
        var (_, start) = await source.ReadAsync(null, CancellationToken.None);

        // The slow transaction changes first (its id is older) and commits last.
        await using var slow = await cpdb.DataSource.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await slow.ExecuteAsync("UPDATE projects SET name = 'renamed late' WHERE id = @ProjectId", new { created.ProjectId }, slowTransaction);
        await using (var fast = await cpdb.DataSource.OpenConnectionAsync())
            await fast.ExecuteAsync("UPDATE api_keys SET revoked_at = now()");

        // Read once while it is open (the fast change may or may not be in: other transactions on the server hold the watermark too).
        var whileOpen = (await source.ReadChangesAsync(start, CancellationToken.None))!;
        await slowTransaction.CommitAsync();
        var (afterCommit, _) = await source.ReadAsync(whileOpen.Version, CancellationToken.None);

        Assert.DoesNotContain(whileOpen.Batches.SelectMany(b => b.Projects), p => p.Name == "renamed late");
        Assert.Contains(afterCommit.Projects, p => p.Id == created.ProjectId.ToString() && p.Name == "renamed late");
        Assert.Contains(whileOpen.Batches.SelectMany(b => b.ApiKeys).Concat(afterCommit.ApiKeys), k => k.Revoked);
    }

    [Fact]
    public async Task A_snapshot_in_chunks_removes_stale_rows_and_records_its_version_only_with_its_last_chunk()
    {
        var created = await BootstrapAsync();
        await SyncSeed.AddKeysAsync(cpdb.DataSource, created.ProjectId, created.OrgId, ControlPlaneSyncSource.ChunkSize + 10);
        var applier = new SyncApplier(dpdb.DataSource);
        var staleProject = Guid.NewGuid();
        await applier.ApplyAsync(new SyncBatch
        {
            Projects = { new ProjectRecord { Id = staleProject.ToString(), OrgId = Guid.NewGuid().ToString(), WorkspaceId = Guid.NewGuid().ToString(), Name = "gone on the CP" } },
            Version = 1, Last = true,
        }, CancellationToken.None);

        var read = await new ControlPlaneSyncSource(cpdb.DataSource).ReadSnapshotAsync(CancellationToken.None);
        var snapshotId = Guid.NewGuid();
        foreach (var chunk in read.Batches.SkipLast(1)) await applier.ApplyAsync(chunk, snapshotId, CancellationToken.None);
        var beforeLast = (await DpCountAsync("SELECT count(*) FROM projects WHERE id = @staleProject", new { staleProject }), await applier.CurrentVersionAsync(CancellationToken.None));
        await applier.ApplyAsync(read.Batches[^1], snapshotId, CancellationToken.None);

        Assert.True(read.Batches.Count >= 2);
        Assert.All(read.Batches, b => Assert.True(b.Projects.Count + b.ApiKeys.Count + b.Alerts.Count <= ControlPlaneSyncSource.ChunkSize));
        Assert.Equal([false, true], read.Batches.Select(b => b.Last).Distinct().Order());
        Assert.Equal((1L, 1UL), beforeLast);
        Assert.Equal(0L, await DpCountAsync("SELECT count(*) FROM projects WHERE id = @staleProject", new { staleProject }));
        Assert.Equal(read.Version, await applier.CurrentVersionAsync(CancellationToken.None));
        Assert.Equal(ControlPlaneSyncSource.ChunkSize + 11L, await DpCountAsync("SELECT count(*) FROM api_keys", null));
    }

    [Fact]
    public async Task Changes_since_a_pruned_or_unknown_version_cannot_be_told_so_the_data_plane_gets_a_snapshot()
    {
        await BootstrapAsync();
        var source = new ControlPlaneSyncSource(cpdb.DataSource);
        var (_, version) = await source.ReadAsync(null, CancellationToken.None);
        Assert.NotNull(await source.ReadChangesAsync(version, CancellationToken.None));

        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE api_keys SET scopes = ARRAY['read']");
        Assert.True(await source.PruneAsync(TimeSpan.Zero, CancellationToken.None) > 0);

        Assert.Null(await source.ReadChangesAsync(version, CancellationToken.None));
        Assert.Null(await source.ReadChangesAsync(ulong.MaxValue / 2, CancellationToken.None));
        Assert.Null(await source.ReadChangesAsync(0, CancellationToken.None));
    }

    [Fact]
    public async Task A_hard_deleted_key_and_a_deleted_workspace_reach_the_data_plane_as_deletions()
    {
        var created = await BootstrapAsync();
        var source = new ControlPlaneSyncSource(cpdb.DataSource);
        var applier = new SyncApplier(dpdb.DataSource);
        var (snapshot, version) = await source.ReadAsync(null, CancellationToken.None);
        await applier.ApplyAsync(snapshot, CancellationToken.None);
        Assert.Equal(1L, await DpCountAsync("SELECT count(*) FROM api_keys", null));

        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("DELETE FROM api_keys");
        var (keyGone, next) = await source.ReadAsync(version, CancellationToken.None);
        await applier.ApplyAsync(keyGone, CancellationToken.None);
        Assert.True(Assert.Single(keyGone.ApiKeys).Deleted);
        Assert.Equal(0L, await DpCountAsync("SELECT count(*) FROM api_keys", null));

        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE workspaces SET deleted_at = now() WHERE id = @WorkspaceId", new { created.WorkspaceId });
        var (workspaceGone, _) = await source.ReadAsync(next, CancellationToken.None);
        await applier.ApplyAsync(workspaceGone, CancellationToken.None);
        Assert.True(Assert.Single(workspaceGone.Projects).Deleted);
        Assert.Equal(0L, await DpCountAsync("SELECT count(*) FROM projects", null));
    }

    [Fact]
    public void The_data_plane_services_have_no_cpdb_connection()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:dpdb"] = dpdb.ConnectionString });
        HoneyHive.DataPlane.Controller.DataPlaneControllerModule.AddDataPlaneController(builder);

        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(NpgsqlDataSource) && Equals(d.ServiceKey, "cpdb"));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(NpgsqlDataSource) && Equals(d.ServiceKey, "dpdb"));
        // Their own configuration names no cpdb either (the single-node Host, which runs both planes, is the exception).
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))!;
        var dataPlaneServices = new[] { "DataPlane.Api", "DataPlane.Controller", "Ingestion", "Writer", "Evaluation", "PythonMetric", "LlmProxy" };
        var settings = dataPlaneServices.SelectMany(s => Directory.GetFiles(Path.Combine(repo, "services", s), "appsettings*.json")).ToList();
        Assert.All(settings, f => Assert.DoesNotContain("cpdb", File.ReadAllText(f), StringComparison.OrdinalIgnoreCase));
        Assert.All(dataPlaneServices, s => Assert.DoesNotContain(
            Directory.GetFiles(Path.Combine(repo, "services", s), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)),
            f => File.ReadAllText(f).Contains("\"cpdb\"", StringComparison.Ordinal)));
    }

    private async Task<BootstrapResult> BootstrapAsync() =>
        (await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None))!;

    private async Task<long> DpCountAsync(string sql, object? parameters)
    {
        await using var connection = await dpdb.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    private static ECDsa NewControlPlaneKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private DataPlaneRegistry Registry(ECDsa cpKey)
    {
        var path = Path.Combine(Path.GetTempPath(), $"hh-cp-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, cpKey.ExportPkcs8PrivateKeyPem());
        var options = Options.Create(new SyncOptions { IdentityKeyPath = path });
        var registry = new DataPlaneRegistry(cpdb.DataSource, new ControlPlaneIdentityKey(options), options, TimeProvider.System);
        File.Delete(path);
        return registry;
    }
}
