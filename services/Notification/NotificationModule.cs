using HoneyHive.Contracts;
using HoneyHive.Notification.Delivery;
using HoneyHive.Notification.Routing;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Notification;

/// <summary>
/// The notification service: consumes <c>notifications.alert</c> and <c>notifications.email</c> and delivers mail (SMTP),
/// Slack and webhooks, with a delivery ledger in cpdb. Single node: a module of the Host. Distributed: the
/// <c>cp-notification</c> app, subscribed through the sidecar's pub/sub.
/// </summary>
public static class NotificationModule
{
    public const string AppId = AppIds.Notification;

    /// <summary>It reads alerts, channels and members from the control plane's database and keeps its ledger there.</summary>
    public const string Database = "cpdb";

    /// <summary>
    /// The control plane's master-key ring, which sealed the webhook secrets (the keyed service the CP API registers as
    /// SigningKeyStore.RingKey; in the Host that registration is the one used).
    /// </summary>
    public const string RingKey = "controlplane";

    /// <summary>The guarded HttpClient Slack and webhook deliveries use.</summary>
    public const string HttpClientName = "notification-webhooks";

    public static IHostApplicationBuilder AddNotification(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(NotificationOptions.Section).Get<NotificationOptions>() ?? new NotificationOptions();
        _ = options.Backoff();
        if (options.MaxAttempts < 1) throw new InvalidOperationException($"{NotificationOptions.Section}:{nameof(NotificationOptions.MaxAttempts)} must be at least 1.");
        builder.Services.AddOptions<NotificationOptions>().Bind(builder.Configuration.GetSection(NotificationOptions.Section));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddPostgres(Database);
        builder.Services.TryAddKeyedSingleton(RingKey, (sp, _) => MasterKeyRing.Create(
            builder.Configuration["ControlPlane:MasterKey"],
            builder.Configuration.GetSection("ControlPlane:PreviousMasterKeys").Get<List<string>>() ?? [],
            new MasterKeySettings("ControlPlane:MasterKey", "ControlPlane:PreviousMasterKeys", "webhook signing secrets"),
            sp.GetRequiredService<IHostEnvironment>().IsDevelopment(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<MasterKeyRing>()));

        // Resolved at start: a missing or malformed ControlPlane:MasterKey stops startup naming the setting, instead of
        // failing every webhook delivery later.
        builder.Services.AddHostedService<MasterKeyCheck>();

        builder.Services.AddHttpClient(HttpClientName, client => client.Timeout = options.SendTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
            .AddOutboundGuard()
            // The factory's default loggers write every request URI, and a Slack hook's or webhook's path is its credential.
            .RemoveAllLoggers();
        builder.Services.TryAddSingleton<GuardedPoster>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationSender, SmtpSender>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationSender, SlackSender>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationSender, WebhookSender>());
        builder.Services.TryAddSingleton<DeliveryLedger>();
        builder.Services.TryAddSingleton<NotificationRouter>();

        builder.AddMessaging();
        // Small batches: every message is sent to receivers one after another. MaxDeliver covers crashes (a try that got no
        // verdict); the handler's own retries are deferrals, bounded by MaxAttempts.
        BatchSubscription Configure(BatchSubscription s) => s with
        {
            MaxBatchSize = 16,
            // A notification goes out as soon as it is published, not when a batch of them fills or the fetch expires.
            HandleFirstMessageAtOnce = true,
            MaxDeliver = 5,
            MaxDeferrals = options.MaxAttempts,
            AckWait = TimeSpan.FromSeconds(Math.Max(30, options.SendTimeout.TotalSeconds * 4)),
            StartWithNewMessages = options.StartWithNewMessages,
        };
        builder.AddBatchSubscription<NotificationHandler>(options.AlertConsumer, options.AlertTopic, Configure);
        builder.AddBatchSubscription<NotificationHandler>(options.EmailConsumer, options.EmailTopic, Configure);
        return builder;
    }

    public static RouteGroupBuilder MapNotification(this IEndpointRouteBuilder app)
    {
        // No routes of its own: channels are managed on the CP API; deliveries arrive by subscription (MapDefaultEndpoints
        // maps the sidecar's subscription endpoints in Dapr mode).
        var group = app.MapGroup("");
        return group;
    }
}

/// <summary>Opens the master-key ring once at start (see <see cref="NotificationModule.AddNotification"/>).</summary>
internal sealed class MasterKeyCheck([FromKeyedServices(NotificationModule.RingKey)] MasterKeyRing ring) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => ring.CurrentId.Length > 0 ? Task.CompletedTask : throw new InvalidOperationException("The master-key ring has no current key.");

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
