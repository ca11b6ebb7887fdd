using HoneyHive.Contracts;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Evaluation.Online;

/// <summary>Online evaluation: the dispatcher on <c>events.ingested</c> and the worker on <c>evaluation.requested</c>.</summary>
public static class OnlineEvaluationModule
{
    public static IHostApplicationBuilder AddOnlineEvaluation(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(OnlineEvaluationOptions.Section).Get<OnlineEvaluationOptions>() ?? new OnlineEvaluationOptions();
        if (options.PerProjectConcurrency < 1 || options.GlobalConcurrency < 1 || options.MaxInlineEventBytes < 1 || options.MetricCacheMaxProjects < 1
            || options.WorkerBatchSize < 1 || options.MetricCacheTtl < TimeSpan.Zero || options.RetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.RetryDelay)
            throw new InvalidOperationException($"{OnlineEvaluationOptions.Section}: concurrencies, sizes and the batch size must be at least 1, RetryDelay positive and MaxRetryDelay at least RetryDelay.");
        var services = builder.Services;
        services.TryAddSingleton(options);
        if (!options.Enabled) return builder;

        // Metric versions from dpdb, events (a large one is read by id) from the analytics and object stores.
        builder.AddPostgres(DataPlaneApiModule.Database);
        builder.AddAnalyticsStore();
        builder.AddObjectStore();
        builder.AddMessaging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MetricStore>();
        services.TryAddSingleton(builder.Configuration.GetSection("Queries").Get<QueryOptions>() ?? new QueryOptions());
        services.TryAddSingleton<PayloadResolver>();
        services.TryAddSingleton<EventQueries>();
        services.TryAddSingleton<OnlineMetrics>();
        services.TryAddSingleton<FairScheduler>();

        builder.AddBatchSubscription<EvaluationDispatcher>(options.DispatcherConsumer, Topics.EventsIngested, s => s with
        {
            // Metrics apply to traffic from their deployment on; the log's history is not evaluated when the consumer is new.
            StartWithNewMessages = true,
            MaxBatchSize = 500,
        });
        builder.AddBatchSubscription<EvaluationWorker>(options.WorkerConsumer, Topics.EvaluationRequested, s => s with
        {
            MaxBatchSize = options.WorkerBatchSize,
            MaxDeferrals = options.MaxDeferrals,
            // A delivery runs its tasks (LLM judges, Python) before its ack; the worker keeps them in progress meanwhile.
            AckWait = TimeSpan.FromMinutes(1),
        });
        return builder;
    }
}
