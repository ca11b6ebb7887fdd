using HoneyHive.Contracts;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.DataPlane.Api.Alerts;

public static class AlertsExtensions
{
    /// <summary>
    /// The alert engine: scheduled evaluation (AGGREGATE, DRIFT), the per-event consumer (PER_EVENT), the definition cache
    /// and the notification outbox. Every dp-api replica runs all of them; dpdb row locks keep them from doing a thing twice.
    /// </summary>
    public static IHostApplicationBuilder AddAlertEngine(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AlertOptions.Section).Get<AlertOptions>() ?? new AlertOptions();
        options.Validate();
        var services = builder.Services;
        services.TryAddSingleton(options);
        if (!options.Enabled) return builder;

        builder.AddPostgres(DataPlaneApiModule.Database);
        builder.AddAnalyticsStore();
        builder.AddMessaging();
        services.TryAddSingleton<ChartQueries>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AlertOutboxSignal>();
        services.TryAddSingleton<AlertRecorder>();
        services.TryAddSingleton<WindowEvaluator>();
        services.TryAddSingleton<AlertDefinitionCache>();
        services.TryAddSingleton<AlertScheduler>();
        services.TryAddSingleton<AlertOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertDefinitionCache>());
        services.AddHostedService(sp => sp.GetRequiredService<AlertScheduler>());
        services.AddHostedService(sp => sp.GetRequiredService<AlertOutbox>());
        builder.AddBatchSubscription<PerEventAlerts>(options.PerEventConsumer, Topics.EventsIngested, s => s with
        {
            // Alerts judge traffic from their creation on; the log's history is not judged when the consumer is new.
            StartWithNewMessages = true,
            MaxBatchSize = 500,
            // Detection within a moment of ingestion: a batch is what is waiting when the first event arrives
            // (under load that is many; when idle, a lone event is judged at once rather than after the fetch expires).
            HandleFirstMessageAtOnce = true,
        });
        return builder;
    }
}
