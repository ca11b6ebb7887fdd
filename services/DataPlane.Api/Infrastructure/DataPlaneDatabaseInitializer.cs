using HoneyHive.Platform.Postgres;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Infrastructure;

/// <summary>Migrates dpdb before the DP serves requests; the DP API owns that database's schema.</summary>
internal sealed class DataPlaneDatabaseInitializer(
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    ILogger<DataPlaneDatabaseInitializer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        PostgresMigrator.MigrateAsync(dpdb.ConnectionString, typeof(DataPlaneApiModule).Assembly, logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
