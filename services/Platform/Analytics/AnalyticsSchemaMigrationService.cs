using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.Analytics;

/// <summary>
/// Applies the ClickHouse schema when the host starts (<c>ClickHouse:MigrateOnStartup</c>).
/// Hosted services start in registration order and each start is awaited, so services
/// registered after the platform see the schema in place.
/// </summary>
public sealed class AnalyticsSchemaMigrationService(ClickHouseMigrator migrator) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
