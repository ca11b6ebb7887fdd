using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace HoneyHive.Platform.Postgres;

/// <summary>Registers a PostgreSQL database as a keyed <see cref="NpgsqlDataSource"/> with a health check.</summary>
public static class PostgresExtensions
{
    /// <summary>
    /// Data source for <c>ConnectionStrings:&lt;name&gt;</c> (e.g. cpdb, dpdb), resolved with
    /// <c>[FromKeyedServices(name)]</c>. Safe to call from several modules of one host.
    /// </summary>
    public static IHostApplicationBuilder AddPostgres(this IHostApplicationBuilder builder, string name)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(NpgsqlDataSource) && Equals(d.ServiceKey, name)))
        {
            return builder;
        }

        builder.Services.TryAddKeyedSingleton(name, (_, _) =>
        {
            var connectionString = builder.Configuration.GetConnectionString(name)
                ?? throw new InvalidOperationException($"ConnectionStrings:{name} is not configured.");
            return new NpgsqlDataSourceBuilder(connectionString) { Name = name }.Build();
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            sp => new PostgresHealthCheck(name, sp.GetRequiredKeyedService<NpgsqlDataSource>(name)),
            HealthStatus.Unhealthy,
            tags: null));
        return builder;
    }
}

/// <summary>Healthy when the database answers <c>SELECT 1</c>.</summary>
internal sealed class PostgresHealthCheck(string name, NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{name} unreachable: {ex.Message}");
        }
    }
}
