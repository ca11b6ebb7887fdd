using System.Net;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Tests.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// Under dapr run a subscriber's sidecar subscribes as soon as the app listens, and pubsub.jetstream
/// fails when the stream is missing: a Dapr-mode app that subscribes must not listen before the
/// streams exist. Against a nats-server of its own, down when the app starts.
/// </summary>
public sealed class StreamsBeforeSubscriptionsTests
{
    [Fact]
    public async Task A_subscribing_app_starts_listening_only_after_it_has_provisioned_the_streams()
    {
        await using var nats = await PrivateNatsServer.StartAsync();
        await nats.StopAsync();
        await using var app = DaprModeApp(nats.Url, subscribe: true);

        var starting = app.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(starting.IsCompleted, "the app listened while the streams did not exist");

        await nats.StartAgainAsync();
        await starting.WaitAsync(TimeSpan.FromSeconds(60));

        await using var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url });
        var js = new NatsJSContext(connection);
        foreach (var stream in Streams.Subjects.Keys)
        {
            Assert.Equal(stream, (await js.GetStreamAsync(stream)).Info.Config.Name);
        }

        await app.StopAsync();
    }

    [Fact]
    public async Task An_app_that_only_publishes_starts_while_NATS_is_down()
    {
        await using var nats = await PrivateNatsServer.StartAsync();
        await nats.StopAsync();
        await using var app = DaprModeApp(nats.Url, subscribe: false);

        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        await app.StopAsync();
    }

    private static WebApplication DaprModeApp(string natsUrl, bool subscribe)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Hosting:Mode"] = "Dapr";
        builder.Configuration["ConnectionStrings:nats"] = natsUrl;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddMessaging();
        if (subscribe)
        {
            builder.Services.AddSingleton(new RecordingHandler());
            builder.AddBatchSubscription<RecordingHandler>("gate-test", Topics.EventsIngested);
        }

        var app = builder.Build();
        app.MapBatchSubscriptions();
        return app;
    }
}
