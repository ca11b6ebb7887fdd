using HoneyHive.DataPlane.Api;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// A database of its own on the test PostgreSQL server, migrated by the data plane's production
/// scripts, optionally holding the given tenants' projects; dropped on dispose.
/// </summary>
public sealed class FreshDpdb : IAsyncDisposable
{
    private readonly string database;

    private FreshDpdb(string database, string connectionString)
    {
        this.database = database;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<FreshDpdb> CreateAsync(string prefix, IEnumerable<ApiKeyIdentity>? tenants = null)
    {
        var name = prefix + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(TestServers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var dpdb = new FreshDpdb(name, new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Database = name }.ConnectionString);
        await PostgresMigrator.MigrateAsync(dpdb.DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        foreach (var tenant in tenants ?? [])
        {
            await using var insert = dpdb.DataSource.CreateCommand("INSERT INTO projects (id, org_id, workspace_id, name) VALUES ($1, $2, $3, $4)");
            insert.Parameters.AddWithValue(tenant.ProjectId);
            insert.Parameters.AddWithValue(tenant.OrgId);
            insert.Parameters.AddWithValue(tenant.WorkspaceId);
            insert.Parameters.AddWithValue(tenant.ProjectName);
            await insert.ExecuteNonQueryAsync();
        }

        return dpdb;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.Postgres);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
