using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Bootstrap;

/// <summary>Before the CP serves requests: migrate cpdb, then bootstrap the first org on a fresh install.</summary>
internal sealed class ControlPlaneDatabaseInitializer(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    Bootstrapper bootstrapper,
    IConfiguration configuration,
    ILogger<ControlPlaneDatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await PostgresMigrator.MigrateAsync(cpdb.ConnectionString, typeof(ControlPlaneApiModule).Assembly, logger, cancellationToken);

        var options = BootstrapOptions.From(configuration);
        var created = await bootstrapper.RunAsync(options, cancellationToken);
        if (created is not null)
        {
            await Bootstrapper.WriteAsync(created, options.OutputPath, cancellationToken);
            logger.LogInformation("Bootstrap credentials written to {Path}", Path.GetFullPath(options.OutputPath));
        }
        else if (!File.Exists(options.OutputPath))
        {
            // The key was shown once and is stored only as a hash; it cannot be written again.
            logger.LogWarning("Already bootstrapped but {Path} is missing; create a new API key through the API", options.OutputPath);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
