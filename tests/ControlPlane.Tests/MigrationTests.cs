using Dapper;
using HoneyHive.ControlPlane.Api;
using HoneyHive.DataPlane.Api;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests;

public sealed class MigrationTests : IAsyncLifetime
{
    private readonly TestDatabase cpdb = new();
    private readonly TestDatabase dpdb = new();

    public Task InitializeAsync() => Task.WhenAll(cpdb.InitializeAsync(), dpdb.InitializeAsync());

    public Task DisposeAsync() => Task.WhenAll(cpdb.DisposeAsync(), dpdb.DisposeAsync());

    [Fact]
    public async Task Running_migrations_twice_leaves_the_same_schema()
    {
        await MigrateAsync(cpdb, typeof(ControlPlaneApiModule));
        var first = await SchemaAsync(cpdb);
        await MigrateAsync(cpdb, typeof(ControlPlaneApiModule));
        var second = await SchemaAsync(cpdb);

        Assert.Contains("api_keys.key_hash:bytea", first);
        Assert.Contains("data_planes.public_key:bytea", first);
        Assert.Equal(first, second);
        Assert.Equal(ScriptCount(typeof(ControlPlaneApiModule)), await JournalCountAsync(cpdb));
    }

    [Fact]
    public async Task Two_instances_migrating_at_once_apply_each_script_once()
    {
        await Task.WhenAll(
            MigrateAsync(dpdb, typeof(DataPlaneApiModule)),
            MigrateAsync(dpdb, typeof(DataPlaneApiModule)),
            MigrateAsync(dpdb, typeof(DataPlaneApiModule)));

        Assert.Contains("api_keys.revoked:boolean", await SchemaAsync(dpdb));
        // Each embedded script once in the journal, however many instances raced.
        Assert.Equal(ScriptCount(typeof(DataPlaneApiModule)), await JournalCountAsync(dpdb));
    }

    private static int ScriptCount(Type module) =>
        module.Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));

    private static Task MigrateAsync(TestDatabase database, Type module) =>
        PostgresMigrator.MigrateAsync(database.DataSource, module.Assembly, NullLogger.Instance, CancellationToken.None);

    private static async Task<List<string>> SchemaAsync(TestDatabase database)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var columns = await connection.QueryAsync<string>(
            """
            SELECT table_name || '.' || column_name || ':' || data_type
            FROM information_schema.columns WHERE table_schema = 'public'
            ORDER BY table_name, column_name
            """);
        return columns.ToList();
    }

    private static async Task<int> JournalCountAsync(TestDatabase database)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schemaversions");
    }
}
