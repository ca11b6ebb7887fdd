using System.Text.RegularExpressions;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging.Dapr;
using HoneyHive.Platform.Messaging.JetStream;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.Platform.Messaging;

/// <summary>Registers the publisher and batch subscriptions for the configured mode.</summary>
public static partial class MessagingExtensions
{
    /// <summary>Connection string name of the NATS server (<c>ConnectionStrings:nats</c>).</summary>
    public const string NatsConnectionName = "nats";

    /// <summary>Health check name of the message log.</summary>
    public const string HealthCheckName = "nats";

    /// <summary>
    /// JetStream (<c>Hosting:Mode=Local</c>): a NATS connection, the streams provisioned at start, the
    /// JetStream publisher and a "nats" health check. Dapr (<c>Hosting:Mode=Dapr</c>): the sidecar's pub/sub.
    /// Registers once however often it is called.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (!services.RegisterOnce<IEventPublisher>()) return builder;
        services.AddOptions<MessagingOptions>().Bind(builder.Configuration.GetSection(MessagingOptions.Section));

        var url = builder.Configuration.GetConnectionString(NatsConnectionName);
        if (builder.Configuration.GetHostingMode() == HostingMode.Dapr)
        {
            services.AddDaprClient();
            services.TryAddSingleton<IEventPublisher, DaprEventPublisher>();

            // pubsub.jetstream neither creates streams nor sets their duplicate window; an app given the
            // NATS address provisions them exactly as single-node mode does (see dapr.yaml) and, when it
            // subscribes, serves nothing before they exist (Kubernetes uses an init container instead).
            if (!string.IsNullOrWhiteSpace(url))
            {
                services.AddJetStreamProvisioning(url, builder.Environment.ApplicationName);
                services.AddHostedService<StreamsBeforeSubscriptions>();
            }
            return builder;
        }

        url = url
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{NatsConnectionName} is not set; it names the NATS server (e.g. nats://127.0.0.1:4222).");
        services.AddJetStream(url, builder.Environment.ApplicationName);
        services.AddHealthChecks().AddCheck<NatsHealthCheck>(HealthCheckName);
        return builder;
    }

    /// <summary>
    /// The JetStream adapter alone: one NATS connection (reconnecting by itself), the JetStream
    /// context, stream provisioning at start and the publisher. Also used by tests.
    /// </summary>
    public static IServiceCollection AddJetStream(this IServiceCollection services, string natsUrl, string clientName = "honeyhive")
    {
        services.AddJetStreamProvisioning(natsUrl, clientName);
        services.TryAddSingleton<IEventPublisher, JetStreamEventPublisher>();
        return services;
    }

    /// <summary>The NATS connection and the stream provisioning at start, without a publisher.</summary>
    public static IServiceCollection AddJetStreamProvisioning(this IServiceCollection services, string natsUrl, string clientName = "honeyhive")
    {
        services.AddOptions<MessagingOptions>();
        services.TryAddSingleton<INatsConnection>(sp => new NatsConnection(NatsOpts.Default with
        {
            Url = natsUrl,
            Name = clientName,
            // Start even when NATS is not up yet; publishes fail fast with 503s until it is.
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
        }));
        services.TryAddSingleton<INatsJSContext>(sp => new NatsJSContext(sp.GetRequiredService<INatsConnection>()));
        services.TryAddSingleton<JetStreamTopology>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JetStreamProvisioner>());
        return services;
    }

    /// <summary>
    /// Subscribe <typeparamref name="THandler"/> to a topic with a durable consumer named
    /// <paramref name="name"/>. Locally a background worker pulls batches from JetStream; under Dapr,
    /// <see cref="MapBatchSubscriptions"/> exposes the endpoint the sidecar delivers to.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="name">Durable consumer name: letters, digits, '-' and '_'.</param>
    /// <param name="topic">Topic or subject filter inside one stream, e.g. <c>events.ingested</c>.</param>
    /// <param name="configure">Adjusts batch size, waits, deliveries and backoff.</param>
    public static IHostApplicationBuilder AddBatchSubscription<THandler>(
        this IHostApplicationBuilder builder,
        string name,
        string topic,
        Func<BatchSubscription, BatchSubscription>? configure = null)
        where THandler : class, IBatchHandler
    {
        var subscription = new BatchSubscription(name, topic, typeof(THandler));
        builder.Services.AddBatchSubscription(configure is null ? subscription : configure(subscription), builder.Configuration.GetHostingMode());
        return builder;
    }

    /// <summary>Register a subscription for the given mode (see the builder overload).</summary>
    public static IServiceCollection AddBatchSubscription(this IServiceCollection services, BatchSubscription subscription, HostingMode mode)
    {
        Validate(services, subscription);
        services.AddSingleton(subscription);
        services.TryAdd(ServiceDescriptor.Scoped(subscription.HandlerType, subscription.HandlerType));
        // Deliveries resolve the handler by subscription name, so a test fault can wrap it from outside
        // (Platform/Faults) without the handler or the delivery code knowing.
        services.AddKeyedScoped<IBatchHandler>(subscription.Name, (sp, _) => (IBatchHandler)sp.GetRequiredService(subscription.HandlerType));
        if (mode == HostingMode.Local)
        {
            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<BatchSubscriptionWorker>(sp, subscription));
        }

        return services;
    }

    /// <summary>
    /// In Dapr mode: <c>GET /dapr/subscribe</c> and one delivery endpoint per registered subscription.
    /// In Local mode nothing (the JetStream workers consume), so every host can call it unconditionally.
    /// </summary>
    public static IEndpointRouteBuilder MapBatchSubscriptions(this IEndpointRouteBuilder app)
    {
        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        return configuration.GetHostingMode() == HostingMode.Dapr ? app.MapDaprSubscriptions() : app;
    }

    private static void Validate(IServiceCollection services, BatchSubscription subscription)
    {
        if (!ConsumerName().IsMatch(subscription.Name))
            throw new ArgumentException($"Subscription name '{subscription.Name}' must use letters, digits, '-' or '_' only.", nameof(subscription));
        if (!typeof(IBatchHandler).IsAssignableFrom(subscription.HandlerType))
            throw new ArgumentException($"{subscription.HandlerType} does not implement {nameof(IBatchHandler)}.", nameof(subscription));
        _ = Topics.StreamOf(subscription.Topic);
        if (subscription.MaxBatchSize < 1 || subscription.MaxDeliver < 1)
            throw new ArgumentException("MaxBatchSize and MaxDeliver must be at least 1.", nameof(subscription));
        if (services.Any(d => d.ServiceType == typeof(BatchSubscription) && d.ImplementationInstance is BatchSubscription other && other.Name == subscription.Name))
            throw new InvalidOperationException($"A subscription named '{subscription.Name}' is registered already.");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex ConsumerName();
}
