using HoneyHive.Ingestion.Publishing;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy.Tracing;

public static class TracingExtensions
{
    /// <summary>
    /// The tracer and what it needs when the host lacks it: the single-node Host has ingestion's publisher already; the
    /// dp-llm-proxy app alone gets the message log's IEventPublisher for its mode (JetStream locally, the sidecar's pub/sub
    /// under Dapr, so the app is in the pubsub component's scopes).
    /// </summary>
    public static IHostApplicationBuilder AddModelCallTracing(this IHostApplicationBuilder builder)
    {
        builder.AddMessaging();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<EventBatchPublisher>();
        builder.Services.AddOptions<TracingOptions>().Bind(builder.Configuration.GetSection(TracingOptions.Section));
        builder.Services.TryAddSingleton<ModelCallTraceWriter>();
        builder.Services.TryAddSingleton<IModelCallTracer>(sp => sp.GetRequiredService<ModelCallTraceWriter>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelCallTraceWriter>());
        return builder;
    }
}
