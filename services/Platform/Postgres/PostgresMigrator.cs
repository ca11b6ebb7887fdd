using System.Reflection;
using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.Platform.Postgres;

/// <summary>
/// Applies a service's numbered SQL scripts (embedded resources under a <c>Migrations</c> folder)
/// with DbUp. DbUp's journal is not safe when two instances start at once, so the run holds a
/// PostgreSQL advisory lock: the second instance waits, then finds nothing left to do.
/// </summary>
public static class PostgresMigrator
{
    // Any constant works; it only has to be the same for every instance migrating the same database.
    private const long AdvisoryLockKey = 0x4848_4D49_4752; // "HHMIGR"

    /// <summary>Run the scripts of <paramref name="assembly"/> whose resource names contain ".Migrations.".</summary>
    public static async Task MigrateAsync(string connectionString, Assembly assembly, ILogger logger, CancellationToken cancellationToken)
    {
        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
        {
            take.Parameters.AddWithValue("key", AdvisoryLockKey);
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var result = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(assembly, name => name.Contains(".Migrations.", StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogTo(logger)
                .Build()
                .PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Migration {result.ErrorScript?.Name ?? "?"} of {assembly.GetName().Name} failed: {result.Error?.Message}", result.Error);
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", AdvisoryLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
