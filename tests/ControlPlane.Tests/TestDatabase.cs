using Npgsql;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>A fresh PostgreSQL database on the test server, dropped when the test class is done.</summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private readonly string name = "hh_test_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin)) await create.ExecuteNonQueryAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("HH_TEST_PG") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("HH_TEST_PG is not set: run the tests with ./hh test, which starts PostgreSQL.");
}
