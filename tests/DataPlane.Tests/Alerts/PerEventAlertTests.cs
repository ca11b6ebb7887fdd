using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Contracts.Events;
using HoneyHive.DataPlane.Api.Alerts;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.DataPlane.Tests.Alerts;

/// <summary>
/// PER_EVENT alerts as dp-api runs them: the engine hosted with its durable consumer on the real events.ingested, its
/// outbox publishing on the real notifications.alert. Events are published as ingestion publishes them.
/// </summary>
[Collection(AlertCollection.Name)]
public sealed class PerEventAlertTests(AlertHarness harness)
{
    [Fact]
    public async Task A_matching_event_fires_the_alert_and_other_events_and_projects_do_not()
    {
        var project = await harness.ProjectAsync();
        var other = await harness.ProjectAsync();
        JsonArray modelsOnly = [new JsonObject { ["field"] = "event_type", ["operator"] = "is", ["value"] = "model", ["type"] = "string" }];
        var alert = await harness.AlertAsync(AlertHarness.Definition(project, type: AlertNames.PerEvent, metric: "metadata.cost",
            filters: modelsOnly, thresholds: AlertHarness.Thresholds(critical: 1, resolved: 0.5)));
        var quiet = await harness.AlertAsync(AlertHarness.Definition(other, type: AlertNames.PerEvent, metric: "metadata.cost",
            filters: modelsOnly, thresholds: AlertHarness.Thresholds(critical: 100, resolved: 0.5)));
        var consumer = "alert-per-event-test-" + Guid.NewGuid().ToString("N")[..12];
        using var host = await StartEngineAsync(consumer);

        // Another project's costly model call, this project's costly tool call (filtered out), a cheap model call (inside
        // the band), then the one that crosses.
        await PublishAsync(other, Event("model", 5));
        await PublishAsync(project, Event("tool", 5), Event("model", 0.7));
        var crossing = Event("model", 3);
        await PublishAsync(project, crossing);

        var published = await Eventually.ValueAsync(() => AlertHarness.PublishedAsync(alert), m => m.Count >= 1, "the alert's notification");
        var transition = Assert.Single(await harness.TransitionsAsync(alert));
        Assert.Equal((AlertNames.StageOk, AlertNames.StageCritical), (transition.From, transition.To));
        Assert.Equal(crossing.EventId, transition.Result["event_id"]!.GetValue<string>());
        Assert.Equal(3, transition.Result["current_bucket_score"]!.GetValue<double>());
        Assert.Equal(crossing.EventId, Assert.Single(published).Data.Result.EventId);
        // The other project's event was judged by its own alert only (5 < 100): no transition there.
        await Eventually.ValueAsync(() => harness.StateAsync(quiet), s => s?.LastRunAt is not null, "the other project's alert to judge its event");
        Assert.Empty(await harness.TransitionsAsync(quiet));
    }

    [Fact]
    public async Task Events_judged_again_after_a_redelivery_record_and_notify_nothing_new()
    {
        var project = await harness.ProjectAsync();
        var alert = await harness.AlertAsync(AlertHarness.Definition(project, type: AlertNames.PerEvent, metric: "metadata.cost",
            thresholds: AlertHarness.Thresholds(critical: 1, resolved: 0.5)));
        var consumer = "alert-per-event-test-" + Guid.NewGuid().ToString("N")[..12];
        using var host = await StartEngineAsync(consumer);
        var crossing = Event("model", 3);
        var recovering = Event("model", 0.1);

        await PublishAsync(project, crossing, recovering);
        await Eventually.ValueAsync(() => AlertHarness.PublishedAsync(alert), m => m.Count >= 2, "the alert's critical and resolution notices");
        // The same events again under another message id, as a redelivery after a crash would hand them over; then a marker
        // event published after them, so once the marker's run is recorded the replay has been judged too.
        await PublishAsync(project, crossing, recovering);
        var marker = Event("model", 0.2);
        await PublishAsync(project, marker);
        await Eventually.ValueAsync(() => harness.StateAsync(alert), s => s?.LastResult?["event_id"]?.GetValue<string>() == marker.EventId, "the replay to be judged");

        Assert.Equal([(AlertNames.StageOk, AlertNames.StageCritical), (AlertNames.StageCritical, AlertNames.StageOk)],
            (await harness.TransitionsAsync(alert)).Select(t => (t.From, t.To)));
        Assert.Equal(2, (await AlertHarness.PublishedAsync(alert)).Count);
    }

    private static EventRecord Event(string type, double cost) => new()
    {
        EventId = Guid.NewGuid().ToString(), ProjectId = "", SessionId = Guid.NewGuid().ToString(), EventType = type,
        StartTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Metadata = new JsonObject { ["cost"] = cost },
    };

    private async Task PublishAsync(Guid project, params EventRecord[] events)
    {
        foreach (var e in events) e.ProjectId = project.ToString();
        var id = Guid.NewGuid().ToString();
        var envelope = new CloudEvent<EventBatch>(id, "/tests", "honeyhive.events.ingested.v1", new EventBatch(project.ToString(), events)) { Topic = Topics.EventsIngested };
        await harness.Publisher.PublishAsync(new OutgoingMessage(Topics.EventsIngested, id, JsonSerializer.SerializeToUtf8Bytes(envelope)), CancellationToken.None);
    }

    private async Task<IHost> StartEngineAsync(string consumer)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:dpdb"] = harness.DpdbConnectionString,
            ["ConnectionStrings:nats"] = TestServers.NatsUrl,
            [$"{AlertOptions.Section}:PerEventConsumer"] = consumer,
            [$"{AlertOptions.Section}:PublishInterval"] = "00:00:00.200",
        });
        builder.Services.AddSingleton<IAnalyticsStore>(harness.Chdb);
        builder.AddAlertEngine();
        var host = builder.Build();
        await host.StartAsync();
        // The consumer starts with new messages: wait until it exists before publishing.
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = TestServers.NatsUrl });
        var js = new NatsJSContext(connection);
        await Eventually.ValueAsync(async () =>
        {
            try
            {
                await js.GetConsumerAsync(Streams.Events, consumer);
                return true;
            }
            catch (NatsJSApiException)
            {
                return false;
            }
        }, ok => ok, "the per-event consumer");
        return host;
    }
}
