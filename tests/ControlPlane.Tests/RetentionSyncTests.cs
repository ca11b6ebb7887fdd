using Dapper;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>A project's retention reaches the data plane over the controllers' sync: the org's default, then its own.</summary>
public sealed class RetentionSyncTests : IAsyncLifetime
{
    private readonly TestDatabase cpdb = new();
    private readonly TestDatabase dpdb = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(cpdb.InitializeAsync(), dpdb.InitializeAsync());
        await PostgresMigrator.MigrateAsync(cpdb.DataSource, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await PostgresMigrator.MigrateAsync(dpdb.DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.WhenAll(cpdb.DisposeAsync(), dpdb.DisposeAsync());

    [Fact]
    public async Task The_data_plane_holds_the_orgs_default_then_the_projects_own_retention()
    {
        var created = (await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None))!;
        var source = new ControlPlaneSyncSource(cpdb.DataSource);
        var applier = new SyncApplier(dpdb.DataSource);
        await using var cp = await cpdb.DataSource.OpenConnectionAsync();
        await using var dp = await dpdb.DataSource.OpenConnectionAsync();
        await cp.ExecuteAsync("UPDATE orgs SET default_retention_days = 45");

        var (snapshot, next) = await source.ReadAsync(null, CancellationToken.None);
        await applier.ApplyAsync(snapshot, CancellationToken.None);
        Assert.Equal(45, await dp.ExecuteScalarAsync<int>("SELECT retention_days FROM projects WHERE id = @id", new { id = created.ProjectId }));

        await cp.ExecuteAsync("UPDATE projects SET retention_days = 7, updated_at = now() WHERE id = @id", new { id = created.ProjectId });
        var (delta, _) = await source.ReadAsync(next, CancellationToken.None);
        await applier.ApplyAsync(delta, CancellationToken.None);
        Assert.Equal(7, await dp.ExecuteScalarAsync<int>("SELECT retention_days FROM projects WHERE id = @id", new { id = created.ProjectId }));
    }
}
