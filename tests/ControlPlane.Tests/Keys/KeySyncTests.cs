using Dapper;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests.Keys;

/// <summary>
/// What the controllers' sync carries about keys and projects (expiry, control-plane keys never, deleted projects),
/// and the last-used time travelling back: DP directory → dpdb → DP controller report → cpdb.
/// </summary>
public sealed class KeySyncTests : IAsyncLifetime
{
    private readonly TestDatabase cpdb = new();
    private readonly TestDatabase dpdb = new();
    private BootstrapResult created = null!;
    private ControlPlaneSyncSource source = null!;
    private SyncApplier applier = null!;
    private ApiKeyDirectory directory = null!;
    private readonly KeyUsageRecorder usage = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(cpdb.InitializeAsync(), dpdb.InitializeAsync());
        await PostgresMigrator.MigrateAsync(cpdb.DataSource, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await PostgresMigrator.MigrateAsync(dpdb.DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        created = (await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None))!;
        source = new ControlPlaneSyncSource(cpdb.DataSource);
        applier = new SyncApplier(dpdb.DataSource);
        directory = new ApiKeyDirectory(dpdb.DataSource, new MemoryCache(new MemoryCacheOptions()),
            new ApiKeyDirectoryOptions { CacheDuration = TimeSpan.Zero }, usage);
    }

    public Task DisposeAsync() => Task.WhenAll(cpdb.DisposeAsync(), dpdb.DisposeAsync());

    [Fact]
    public async Task An_expired_key_is_refused_by_the_data_plane_and_an_unexpired_one_works_until_its_expiry()
    {
        var expired = await InsertProjectKeyAsync(DateTimeOffset.UtcNow.AddMinutes(-1));
        var later = await InsertProjectKeyAsync(DateTimeOffset.UtcNow.AddDays(1));

        var (snapshot, _) = await source.ReadAsync(null, CancellationToken.None);
        await applier.ApplyAsync(snapshot, CancellationToken.None);

        Assert.Contains(snapshot.ApiKeys, k => k.ExpiresAtUnixMs > 0);
        Assert.Null(await directory.FindAsync(expired, CancellationToken.None));
        Assert.NotNull(await directory.FindAsync(later, CancellationToken.None));
        Assert.NotNull(await directory.FindAsync(created.ApiKey, CancellationToken.None));
    }

    [Fact]
    public async Task A_cached_key_stops_working_at_its_expiry_even_before_the_cache_ends()
    {
        var soon = await InsertProjectKeyAsync(DateTimeOffset.UtcNow.AddSeconds(2));
        await applier.ApplyAsync((await source.ReadAsync(null, CancellationToken.None)).Batch, CancellationToken.None);
        var caching = new ApiKeyDirectory(dpdb.DataSource, new MemoryCache(new MemoryCacheOptions()),
            new ApiKeyDirectoryOptions { CacheDuration = TimeSpan.FromHours(1) });

        Assert.NotNull(await caching.FindAsync(soon, CancellationToken.None));
        await Eventually.ValueAsync(() => caching.FindAsync(soon, CancellationToken.None), identity => identity is null,
            "the cached key to be refused once it expired", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_key_the_sync_forgets_is_read_again_at_once_and_a_revocation_is_not_hidden_by_the_cache()
    {
        var key = await InsertProjectKeyAsync(DateTimeOffset.UtcNow.AddDays(1));
        await applier.ApplyAsync((await source.ReadAsync(null, CancellationToken.None)).Batch, CancellationToken.None);
        var caching = new ApiKeyDirectory(dpdb.DataSource, new MemoryCache(new MemoryCacheOptions()),
            new ApiKeyDirectoryOptions { CacheDuration = TimeSpan.FromHours(1) });
        Assert.NotNull(await caching.FindAsync(key, CancellationToken.None));
        await using var dp = await dpdb.DataSource.OpenConnectionAsync();
        await dp.ExecuteAsync("UPDATE api_keys SET revoked = true WHERE key_hash = @hash", new { hash = ApiKeys.Hash(key) });
        Assert.NotNull(await caching.FindAsync(key, CancellationToken.None)); // the cached answer, for up to its lifetime

        caching.Forget(Convert.ToHexString(ApiKeys.Hash(key)));

        Assert.Null(await caching.FindAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Control_plane_keys_never_reach_the_data_plane()
    {
        var key = "hh_fgcp_" + Guid.NewGuid().ToString("N");
        var id = Guid.NewGuid();
        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO api_keys (id, kind, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes)
                VALUES (@id, 'control_plane', @OrgId, 'org', @OrgId, 'cp', 'hh_fgcp_', @hash, ARRAY['keys:read'])
                """, new { id, created.OrgId, hash = ApiKeys.Hash(key) });
        }

        var (snapshot, next) = await source.ReadAsync(null, CancellationToken.None);
        var (delta, _) = await source.ReadAsync(1UL, CancellationToken.None);
        await applier.ApplyAsync(snapshot, CancellationToken.None);

        Assert.DoesNotContain(snapshot.ApiKeys, k => k.Id == id.ToString());
        Assert.DoesNotContain(delta.ApiKeys, k => k.Id == id.ToString());
        Assert.Single(snapshot.ApiKeys);
        Assert.Null(await directory.FindAsync(key, CancellationToken.None));
    }

    [Theory]
    [InlineData("projects")]
    [InlineData("workspaces")]
    [InlineData("virtual_dataplanes")]
    public async Task A_project_deleted_on_the_control_plane_or_under_a_deleted_parent_stops_working_on_the_data_plane(string table)
    {
        var (snapshot, next) = await source.ReadAsync(null, CancellationToken.None);
        await applier.ApplyAsync(snapshot, CancellationToken.None);
        Assert.NotNull(await directory.FindAsync(created.ApiKey, CancellationToken.None));

        var id = table switch { "projects" => created.ProjectId, "workspaces" => created.WorkspaceId, _ => Guid.Empty };
        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(table == "virtual_dataplanes"
                ? "UPDATE virtual_dataplanes SET deleted_at = now(), updated_at = now()"
                : $"UPDATE {table} SET deleted_at = now(), updated_at = now() WHERE id = @id", new { id });
        }
        var (delta, _) = await source.ReadAsync(next, CancellationToken.None);
        await applier.ApplyAsync(delta, CancellationToken.None);

        Assert.Contains(delta.Projects, p => p.Id == created.ProjectId.ToString() && p.Deleted);
        Assert.Null(await directory.FindAsync(created.ApiKey, CancellationToken.None));
        await using var dp = await dpdb.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await dp.ExecuteScalarAsync<int>("SELECT count(*) FROM projects WHERE id = @ProjectId", new { created.ProjectId }));
        Assert.Equal(0, await dp.ExecuteScalarAsync<int>("SELECT count(*) FROM api_keys"));

        // A later snapshot (a DP reconnecting) leaves it out too, and a key touched after the delete is not sent.
        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE api_keys SET updated_at = now()");
        var (again, _) = await source.ReadAsync(null, CancellationToken.None);
        Assert.Empty(again.Projects);
        Assert.Empty(again.ApiKeys);
    }

    [Fact]
    public async Task A_key_used_on_the_data_plane_shows_its_last_used_time_on_the_control_plane_and_it_only_moves_forward()
    {
        await applier.ApplyAsync((await source.ReadAsync(null, CancellationToken.None)).Batch, CancellationToken.None);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        Assert.NotNull(await directory.FindAsync(created.ApiKey, CancellationToken.None));

        await new KeyUsageFlusher(usage, dpdb.DataSource, new ApiKeyDirectoryOptions(), NullLogger<KeyUsageFlusher>.Instance).FlushAsync(CancellationToken.None);
        var reporter = new KeyUsageReporter(dpdb.DataSource);
        var cursor = new KeyUsageReporter.Cursor();
        var report = await reporter.NextAsync(cursor, CancellationToken.None);
        Assert.NotNull(report);
        var sink = new KeyUsageSink(cpdb.DataSource, TimeProvider.System, NullLogger<KeyUsageSink>.Instance);
        await sink.RecordAsync("dp-test", report, CancellationToken.None);

        var lastUsed = await LastUsedAsync();
        Assert.NotNull(lastUsed);
        Assert.True(lastUsed >= before.UtcDateTime, $"{lastUsed:o} is before the use at {before:o}");
        // Nothing new since: nothing to report.
        Assert.Null(await reporter.NextAsync(cursor, CancellationToken.None));

        // An older report (a slow DP) does not move it back; a report from the future is clamped to now.
        var keyId = report.Uses[0].KeyId;
        await sink.RecordAsync("dp-test", Usage(keyId, DateTimeOffset.UtcNow.AddDays(-1)), CancellationToken.None);
        Assert.Equal(lastUsed, await LastUsedAsync());
        await sink.RecordAsync("dp-test", Usage(keyId, DateTimeOffset.UtcNow.AddYears(5)), CancellationToken.None);
        Assert.True(await LastUsedAsync() <= DateTime.UtcNow.AddSeconds(5));
        // Garbage ids are ignored, not an error.
        await sink.RecordAsync("dp-test", Usage("not-a-key", DateTimeOffset.UtcNow), CancellationToken.None);
    }

    [Fact]
    public async Task A_use_reported_once_is_not_reported_again_and_a_later_use_is()
    {
        await applier.ApplyAsync((await source.ReadAsync(null, CancellationToken.None)).Batch, CancellationToken.None);
        var flusher = new KeyUsageFlusher(usage, dpdb.DataSource, new ApiKeyDirectoryOptions(), NullLogger<KeyUsageFlusher>.Instance);
        var reporter = new KeyUsageReporter(dpdb.DataSource);
        var cursor = new KeyUsageReporter.Cursor();
        Assert.Null(await reporter.NextAsync(cursor, CancellationToken.None));

        await directory.FindAsync(created.ApiKey, CancellationToken.None);
        await flusher.FlushAsync(CancellationToken.None);
        var first = await reporter.NextAsync(cursor, CancellationToken.None);
        Assert.Single(first!.Uses);
        Assert.Null(await reporter.NextAsync(cursor, CancellationToken.None));

        await Task.Delay(20);
        await directory.FindAsync(created.ApiKey, CancellationToken.None);
        await flusher.FlushAsync(CancellationToken.None);
        var second = await reporter.NextAsync(cursor, CancellationToken.None);
        Assert.True(second!.Uses[0].LastUsedUnixMs > first.Uses[0].LastUsedUnixMs);
    }

    private static KeyUsage Usage(string keyId, DateTimeOffset at) =>
        new() { Uses = { new KeyUse { KeyId = keyId, LastUsedUnixMs = at.ToUnixTimeMilliseconds() } } };

    private async Task<DateTime?> LastUsedAsync()
    {
        await using var connection = await cpdb.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<DateTime?>("SELECT last_used_at FROM api_keys WHERE name = 'bootstrap'");
    }

    private async Task<string> InsertProjectKeyAsync(DateTimeOffset expiresAt)
    {
        var key = ApiKeys.Generate();
        await using var connection = await cpdb.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, kind, project_id, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes, expires_at)
            VALUES (@id, 'project', @ProjectId, @OrgId, 'project', @ProjectId, 'expiring', @prefix, @hash, ARRAY['read'], @expiresAt)
            """, new { id = Guid.NewGuid(), created.ProjectId, created.OrgId, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key), expiresAt = expiresAt.UtcDateTime });
        return key;
    }
}
