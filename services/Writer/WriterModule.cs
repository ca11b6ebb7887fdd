using HoneyHive.Contracts;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer.DeadLetters;
using HoneyHive.Writer.Enrichment;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Polly;
using Polly.Retry;

namespace HoneyHive.Writer;

/// <summary>Consumes events.> (and genai.>, log messages for spans), enriches, batches into ClickHouse, dead-letters what cannot be written.</summary>
public static class WriterModule
{
    public const string AppId = AppIds.Writer;

    /// <summary>DI key of the retry pipeline around analytics-store writes.</summary>
    public const string RetryPipelineKey = "writer-retry";

    /// <summary>Suffix of the consumer of <see cref="Topics.GenAiMessages"/> (after Writer:ConsumerName).</summary>
    public const string GenAiConsumerSuffix = "-genai";

    /// <summary>Smallest Writer:MaxBatchBytes: NATS's 1 MiB max_payload plus headers, with room.</summary>
    public const int MinBatchBytes = 2 * 1024 * 1024;

    /// <summary>
    /// The Writer's services and its batch subscription (keys under <c>Writer:</c>, see <see cref="WriterOptions"/>;
    /// prices under <c>Writer:Prices:&lt;project&gt;:&lt;model&gt;</c>).
    /// </summary>
    public static IHostApplicationBuilder AddWriter(this IHostApplicationBuilder builder)
    {
        // Writes events to ClickHouse, large payloads and dead letters to the object store.
        builder.AddAnalyticsStore();
        builder.AddObjectStore();
        var options = builder.AddWriterCore();
        if (!options.ConsumeEvents) return builder;
        builder.AddMessaging();
        builder.AddBatchSubscription<WriterBatchHandler>(options.ConsumerName, options.Topic, s => s with
        {
            MaxBatchSize = options.MaxBatchSize,
            MaxBatchBytes = options.MaxBatchBytes == 0 ? null : options.MaxBatchBytes,
            MaxWait = options.MaxWait,
            AckWait = options.AckWait,
            StartWithNewMessages = options.StartWithNewMessages,
            // An update that waits for its event is redelivered until Writer:UpdateWaitLimit; the handler
            // dead-letters it then, within this budget.
            MaxDeferrals = options.UpdateDeliveries,
        });
        // GenAI log messages wait for their spans on a stream of their own (Streams.GenAi): a message held
        // there for minutes moves neither this consumer's ack floor nor the lag back-pressure reads.
        builder.AddBatchSubscription<WriterBatchHandler>(options.ConsumerName + GenAiConsumerSuffix, Topics.GenAiMessages, s => s with
        {
            MaxBatchSize = options.MaxBatchSize,
            MaxWait = options.MaxWait,
            AckWait = options.AckWait,
            StartWithNewMessages = options.StartWithNewMessages,
            MaxDeferrals = options.UpdateDeliveries,
        });
        builder.Services.AddHealthChecks().AddCheck<WriterHealthCheck>(WriterHealthCheck.Name);
        return builder;
    }

    /// <summary>Everything but the subscription: the writer, its retry pipeline and the dead-letter store (also used by <c>dlq</c>).</summary>
    public static WriterOptions AddWriterCore(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(WriterOptions.Section).Get<WriterOptions>() ?? new WriterOptions();
        if (options.PreviewChars < 16 || options.LargePayloadBytes < options.PreviewChars * 2)
            throw new InvalidOperationException("Writer:PreviewChars must be at least 16 and Writer:LargePayloadBytes at least twice Writer:PreviewChars.");
        if (options.UpdateRetryDelay <= TimeSpan.Zero || options.LogMessageRetryDelay <= TimeSpan.Zero
            || options.UpdateMaxRetryDelay < options.UpdateRetryDelay || options.UpdateMaxRetryDelay < options.LogMessageRetryDelay || options.UpdateWaitLimit < TimeSpan.Zero)
            throw new InvalidOperationException("Writer:UpdateRetryDelay and Writer:LogMessageRetryDelay must be positive, Writer:UpdateMaxRetryDelay at least as long and Writer:UpdateWaitLimit not negative.");
        if (options.MaxBatchBytes is not 0 and < MinBatchBytes)
            throw new InvalidOperationException($"Writer:MaxBatchBytes must be 0 (no byte bound) or at least {MinBatchBytes} (2 MiB), above NATS's 1 MiB message limit, so that any message fits in a batch.");
        var services = builder.Services;
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<ModelPrices>();
        services.TryAddSingleton<ComputedFields>();
        services.TryAddSingleton<EventStore>();
        services.TryAddSingleton<LargePayloads>();
        services.TryAddSingleton<EventWriter>();
        services.TryAddSingleton<DeadLetterStore>();
        services.TryAddSingleton<DeadLetterReplayer>();
        services.TryAddSingleton<WriterMetrics>();
        services.TryAddSingleton<WriterStatus>();
        services.TryAddSingleton<PendingUpdates>();
        services.TryAddKeyedSingleton(RetryPipelineKey, (sp, _) => BuildRetry(
            sp.GetRequiredService<WriterOptions>(),
            sp.GetRequiredService<WriterMetrics>(),
            sp.GetRequiredService<WriterStatus>(),
            sp.GetRequiredService<ILogger<WriterBatchHandler>>()));
        return options;
    }

    public static RouteGroupBuilder MapWriter(this IEndpointRouteBuilder app)
    {
        // Nothing to serve: the subscription endpoints (Dapr mode) are mapped by MapDefaultEndpoints.
        var group = app.MapGroup("");
        return group;
    }

    private static ResiliencePipeline BuildRetry(WriterOptions options, WriterMetrics metrics, WriterStatus status, ILogger logger) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                // Every failure of the store is worth a retry: the write is idempotent (see EventWriter).
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    metrics.Retry();
                    status.Retry();
                    logger.LogWarning(args.Outcome.Exception, "Writing events failed (attempt {Attempt}); retrying in {Delay}",
                        args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
}
