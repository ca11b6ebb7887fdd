using HoneyHive.DataPlane.Api;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HoneyHive.Workflows.Tests;

/// <summary>
/// A dpdb of its own on the test PostgreSQL server, migrated by the data plane's production scripts and shared by the
/// collection; each test isolates itself with a task hub of its own. Dropped on dispose.
/// </summary>
public sealed class WorkflowDatabase : IAsyncLifetime
{
    private readonly string name = "wf" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(TestServers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Database = name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await PostgresMigrator.MigrateAsync(DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.Postgres);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Rows of a table for one hub: what the backend left behind.</summary>
    public async Task<long> CountAsync(string table, string hub)
    {
        await using var command = DataSource.CreateCommand($"SELECT count(*) FROM {table} WHERE hub = $1");
        command.Parameters.AddWithValue(hub);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class WorkflowCollection : ICollectionFixture<WorkflowDatabase>
{
    public const string Name = "workflows";
}
