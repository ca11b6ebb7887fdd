using Dapper;
using HoneyHive.ControlPlane.Api;
using HoneyHive.DataPlane.Api;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests;

public sealed class MigrationTests : IAsyncLifetime
{
    // Written out here, not read from the assemblies: a script that is not embedded (or not applied) must fail the test.
    private static readonly string[] ControlPlaneScripts =
    [
        "0001_tenancy_and_keys.sql", "0002_data_planes.sql", "0003_accounts_rbac_audit.sql",
        "0004_alerts_notifications.sql", "0005_mfa_sso_enforcement.sql", "0006_sso_connections.sql",
        "0007_saml_replay.sql", "0008_versioned_sync.sql", "0009_retention.sql",
        "0010_project_quotas.sql", "0011_alert_trigger_sent_from_ledger.sql", "0012_sync_project_settings.sql",
    ];

    private static readonly string[] DataPlaneScripts =
    [
        "0001_projects_and_keys.sql", "0002_datasets_datapoints.sql", "0003_metrics_configurations_secrets.sql",
        "0004_runs.sql", "0005_runs_id_per_project.sql", "0006_charts.sql",
        "0007_key_expiry_and_usage.sql", "0008_provider_secret_settings.sql", "0009_annotation_queues.sql",
        "0010_workflows.sql", "0011_alerts.sql", "0012_sync_version.sql",
        "0013_retention_and_restores.sql", "0015_project_quotas.sql",
    ];

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
        Assert.Equal(ControlPlaneScripts, await JournalAsync(cpdb));
    }

    [Fact]
    public async Task Two_instances_migrating_at_once_apply_each_script_once()
    {
        await Task.WhenAll(
            MigrateAsync(dpdb, typeof(DataPlaneApiModule)),
            MigrateAsync(dpdb, typeof(DataPlaneApiModule)),
            MigrateAsync(dpdb, typeof(DataPlaneApiModule)));

        Assert.Contains("api_keys.revoked:boolean", await SchemaAsync(dpdb));
        // Each script once in the journal, however many instances raced.
        Assert.Equal(DataPlaneScripts, await JournalAsync(dpdb));
    }

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

    /// <summary>The scripts DbUp recorded, in the order it applied them, without their resource prefix.</summary>
    private static async Task<List<string>> JournalAsync(TestDatabase database)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var names = await connection.QueryAsync<string>("SELECT scriptname FROM schemaversions ORDER BY schemaversionsid");
        return names.Select(n => n[(n.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..]).ToList();
    }
}
