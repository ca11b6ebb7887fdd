using HoneyHive.Contracts;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Notification.Tests;

/// <summary>The notification module registers what it uses (the message log, cpdb) and its two subscriptions, nothing else.</summary>
public sealed class NotificationModuleRegistrationTests
{
    [Fact]
    [Trait("Servers", "None")]
    public void Notification_registers_messaging_cpdb_and_one_subscription_per_topic_but_no_analytics_or_state()
    {
        var parts = ModuleComposition.Compose(b => b.AddNotification());

        Assert.Contains(nameof(IEventPublisher), parts.Services);
        Assert.DoesNotContain(nameof(IAnalyticsStore), parts.Services);
        Assert.DoesNotContain(nameof(IStateStore), parts.Services);
        Assert.Equal(new[] { "cpdb", "nats", "self" }, parts.HealthChecks);
        var subscriptions = parts.Descriptors.Select(d => d.ImplementationInstance).OfType<BatchSubscription>().ToList();
        Assert.Equal(new[] { Topics.NotificationsAlert, Topics.NotificationsEmail }, subscriptions.Select(s => s.Topic).Order(StringComparer.Ordinal));
        Assert.All(subscriptions, s => Assert.Equal(typeof(NotificationHandler), s.HandlerType));
        // Its own retries are deferrals: the budget covers the configured tries on top of the crash redeliveries.
        Assert.All(subscriptions, s => Assert.Equal(new NotificationOptions().MaxAttempts, s.MaxDeferrals));
    }

    [Fact]
    [Trait("Servers", "None")]
    public void A_malformed_backoff_stops_startup_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ModuleComposition.Compose(b =>
        {
            b.Configuration["Notification:BackoffSeconds"] = "1,soon";
            b.AddNotification();
        }));
        Assert.Contains("Notification:BackoffSeconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Servers", "None")]
    public void Without_the_control_planes_master_key_outside_development_startup_stops_naming_it()
    {
        var parts = ModuleComposition.Compose(b => b.AddNotification());
        using var provider = parts.Descriptors.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetServices<IHostedService>().ToList());
        Assert.Contains("ControlPlane:MasterKey", error.Message, StringComparison.Ordinal);
    }
}
