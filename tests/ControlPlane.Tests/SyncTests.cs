using Dapper;
using Google.Protobuf;
using Grpc.Core;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

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
        await PostgresMigrator.MigrateAsync(cpdb.ConnectionString, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await PostgresMigrator.MigrateAsync(dpdb.ConnectionString, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
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
        var registry = new DataPlaneRegistry(cpdb.DataSource, TimeProvider.System);
        using var identity = new DataPlaneIdentity("dp-1", identityPath);
        var now = DateTimeOffset.UtcNow;

        Assert.Equal("dp-1", await registry.RegisterAsync(identity.CreateRegistration(now), CancellationToken.None));
        // The identity survives a restart: the same key file registers again.
        using (var reloaded = new DataPlaneIdentity("dp-1", identityPath))
        {
            Assert.Equal("dp-1", await registry.RegisterAsync(reloaded.CreateRegistration(now), CancellationToken.None));
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
}
