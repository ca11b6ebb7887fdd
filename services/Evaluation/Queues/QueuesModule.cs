using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Evaluation.Queues;

/// <summary>
/// Annotation queues: their store (dpdb), their events (the analytics store through the DP's query pieces) and their work.
/// Uses what the data plane registers (dpdb, the analytics store, PayloadResolver, MetricStore) and the ScorePublisher.
/// </summary>
public static class QueuesModule
{
    public static IHostApplicationBuilder AddQueues(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<QueueStore>();
        builder.Services.TryAddSingleton<QueueEvents>();
        builder.Services.TryAddSingleton<AnnotationService>();
        return builder;
    }
}
