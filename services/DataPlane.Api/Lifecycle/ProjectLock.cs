using Npgsql;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>
/// A PostgreSQL session advisory lock in dpdb per name (a project, the dead letters), so that of several DP replicas
/// only one sweeps or restores a project at a time. Held by an open connection: a replica that dies releases it with
/// its connection.
/// </summary>
public sealed class ProjectLock : IAsyncDisposable
{
    // The first key of pg_advisory_lock(int, int): this module's own space, apart from any other advisory lock.
    private const int LifecycleSpace = 0x4c43; // "LC"

    private readonly NpgsqlConnection connection;
    private readonly string name;

    private ProjectLock(NpgsqlConnection connection, string name)
    {
        this.connection = connection;
        this.name = name;
    }

    /// <summary>Takes the lock without waiting; null when another session holds it.</summary>
    public static Task<ProjectLock?> TryTakeAsync(NpgsqlDataSource dpdb, string name, CancellationToken cancellationToken) =>
        TakeAsync(dpdb, name, "SELECT pg_try_advisory_lock($1, hashtext($2))", cancellationToken);

    /// <summary>Waits for the lock (a restore waits for a sweep of the same project to end).</summary>
    public static async Task<ProjectLock> TakeAsync(NpgsqlDataSource dpdb, string name, CancellationToken cancellationToken) =>
        (await TakeAsync(dpdb, name, "SELECT pg_advisory_lock($1, hashtext($2)) IS NULL", cancellationToken))!;

    private static async Task<ProjectLock?> TakeAsync(NpgsqlDataSource dpdb, string name, string sql, CancellationToken cancellationToken)
    {
        var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue(LifecycleSpace);
            command.Parameters.AddWithValue(name);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!) return new ProjectLock(connection, name);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1, hashtext($2))", connection);
            command.Parameters.AddWithValue(LifecycleSpace);
            command.Parameters.AddWithValue(name);
            await command.ExecuteScalarAsync();
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
