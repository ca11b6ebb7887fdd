using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Tests.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// The subscription endpoints of Dapr mode on a real Kestrel, fed the requests daprd sends:
/// the <c>GET /dapr/subscribe</c> discovery, a single CloudEvent, a bulk delivery.
/// </summary>
[Trait("Servers", "None")]
public sealed class DaprSubscriptionEndpointTests : IAsyncLifetime
{
    private const string WriterName = "writer";
    private const string NotifierName = "notifier";

    /// <summary>A bulk delivery limit small enough to test without sending 64 MiB (and under Kestrel's 30 MB default, so a 413 proves it is ours).</summary>
    private const long DeliveryLimit = 4L << 20;

    private readonly RecordingHandler handler = new();
    private WebApplication app = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Hosting:Mode"] = "Dapr";
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(handler);
        builder.Services.Configure<MessagingOptions>(o => o.Dapr.MaxBulkDeliveryBytes = DeliveryLimit);
        builder.AddBatchSubscription<RecordingHandler>(WriterName, Topics.EventsIngested,
            s => s with { MaxBatchSize = 500, MaxWait = TimeSpan.FromMilliseconds(250) });
        builder.AddBatchSubscription<RecordingHandler>(NotifierName, Topics.NotificationsAlert, s => s with { MaxBatchSize = 1 });
        app = builder.Build();
        app.MapBatchSubscriptions();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Discovery_lists_each_subscription_with_its_route_dead_letter_topic_and_bulk_settings()
    {
        var subscriptions = JsonNode.Parse(await http.GetStringAsync("/dapr/subscribe"))!.AsArray();

        var writer = subscriptions.Single(s => (string?)s!["topic"] == Topics.EventsIngested)!;
        // The SDK writes "pubsubName"; daprd decodes the field case-insensitively.
        Assert.Equal(Components.PubSub, (string?)writer["pubsubName"]);
        Assert.Equal("dapr/subscriptions/writer", RouteOf(writer));
        Assert.Equal("deadletter.events.ingested", (string?)writer["deadLetterTopic"]);
        Assert.True((bool?)writer["bulkSubscribe"]!["enabled"]);
        // 500 entries of up to 1 MiB each would not fit the delivery limit: the count is bounded by bytes.
        var limits = new MessagingOptions { Dapr = { MaxBulkDeliveryBytes = DeliveryLimit } }.Dapr;
        var count = (int)writer["bulkSubscribe"]!["maxMessagesCount"]!;
        Assert.Equal(limits.MaxMessagesPerBulkDelivery(500), count);
        Assert.InRange(count, 1, 499);
        Assert.True(count * limits.MaxDeliveryEntryBytes <= DeliveryLimit);
        Assert.Equal(250, (int?)writer["bulkSubscribe"]!["maxAwaitDurationMs"]);

        var notifier = subscriptions.Single(s => (string?)s!["topic"] == Topics.NotificationsAlert)!;
        Assert.Equal("dapr/subscriptions/notifier", RouteOf(notifier));
        Assert.Equal(Components.PubSub, (string?)notifier["pubsubName"]);
        Assert.True(notifier["bulkSubscribe"] is null || (bool?)notifier["bulkSubscribe"]!["enabled"] == false);
        Assert.Equal(2, subscriptions.Count);
    }

    [Fact]
    public async Task A_single_CloudEvent_reaches_the_handler_whole_and_is_answered_SUCCESS()
    {
        var body = DaprCloudEvent("evt-7:1", Topics.NotificationsAlert).ToJsonString();

        using var response = await PostAsync("/dapr/subscriptions/notifier", body, "application/cloudevents+json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("SUCCESS", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]);
        var message = Assert.Single(Assert.Single(handler.Calls));
        Assert.Equal("evt-7:1", message.Id);
        Assert.Equal(Topics.NotificationsAlert, message.Topic);
        Assert.Equal(body, Encoding.UTF8.GetString(message.Data.Span));
        Assert.Equal(1, message.DeliveryCount);
    }

    [Fact]
    public async Task A_failing_handler_answers_a_single_delivery_with_RETRY()
    {
        handler.FailWhen = _ => true;

        using var response = await PostAsync("/dapr/subscriptions/notifier",
            DaprCloudEvent("evt-8:1", Topics.NotificationsAlert).ToJsonString(), "application/cloudevents+json");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("RETRY", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]);
        Assert.Single(handler.Calls);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/cloudevents-batch+json")]
    public async Task A_bulk_delivery_hands_the_whole_batch_to_the_handler_and_answers_per_entry(string contentType)
    {
        var ids = new[] { "a:0", "b:0", "c:0" };

        using var response = await PostAsync("/dapr/subscriptions/writer", BulkRequest(ids).ToJsonString(), contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statuses = StatusesOf(await response.Content.ReadAsStringAsync());
        Assert.Equal(ids.Select(EntryIdOf).ToDictionary(e => e, _ => "SUCCESS"), statuses);
        var batch = Assert.Single(handler.Calls);
        Assert.Equal(ids, batch.Select(m => m.Id));
        Assert.All(batch, m => Assert.Equal(Topics.EventsIngested, m.Topic));
        using var first = JsonDocument.Parse(batch[0].Data);
        Assert.Equal("a:0", first.RootElement.GetProperty("id").GetString());
        Assert.Equal("payload a:0", first.RootElement.GetProperty("data").GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_poison_entry_is_answered_RETRY_while_the_rest_of_the_bulk_succeeds()
    {
        handler.FailWhen = batch => batch.Any(m => m.Id == "bad:0");
        var ids = new[] { "ok:0", "bad:0", "ok:1" };

        using var response = await PostAsync("/dapr/subscriptions/writer", BulkRequest(ids).ToJsonString(), "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statuses = StatusesOf(await response.Content.ReadAsStringAsync());
        Assert.Equal("SUCCESS", statuses[EntryIdOf("ok:0")]);
        Assert.Equal("RETRY", statuses[EntryIdOf("bad:0")]);
        Assert.Equal("SUCCESS", statuses[EntryIdOf("ok:1")]);
        Assert.Equal(["ok:0", "ok:1"], handler.Handled.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Entries_the_handler_defers_are_answered_RETRY_and_the_rest_SUCCESS_without_a_second_handling()
    {
        handler.DeferWhen = m => m.Id == "early:0";
        var ids = new[] { "ok:0", "early:0", "ok:1" };

        using var response = await PostAsync("/dapr/subscriptions/writer", BulkRequest(ids).ToJsonString(), "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statuses = StatusesOf(await response.Content.ReadAsStringAsync());
        Assert.Equal("SUCCESS", statuses[EntryIdOf("ok:0")]);
        Assert.Equal("RETRY", statuses[EntryIdOf("early:0")]);
        Assert.Equal("SUCCESS", statuses[EntryIdOf("ok:1")]);
        // A deferral is not a failure: the batch is not handled again entry by entry.
        Assert.Single(handler.Calls);
        Assert.Equal(["ok:0", "ok:1"], handler.Handled.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task A_single_delivery_the_handler_defers_is_answered_RETRY()
    {
        handler.DeferWhen = _ => true;

        using var response = await PostAsync("/dapr/subscriptions/notifier",
            DaprCloudEvent("evt-9:1", Topics.NotificationsAlert).ToJsonString(), "application/cloudevents+json");

        Assert.Equal("RETRY", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]);
        Assert.Empty(handler.Handled);
    }

    [Fact]
    public async Task A_bulk_entry_without_an_event_is_dropped()
    {
        var request = BulkRequest(["fine:0"]);
        request["entries"]!.AsArray().Add(new JsonObject { ["entryId"] = "broken", ["contentType"] = "application/cloudevents+json" });

        using var response = await PostAsync("/dapr/subscriptions/writer", request.ToJsonString(), "application/json");

        var statuses = StatusesOf(await response.Content.ReadAsStringAsync());
        Assert.Equal("DROP", statuses["broken"]);
        Assert.Equal("SUCCESS", statuses[EntryIdOf("fine:0")]);
    }

    [Fact]
    public async Task A_bulk_delivery_up_to_the_limit_is_taken_and_one_above_it_is_refused_with_413()
    {
        var under = BulkRequest(["under:0"]);
        under["entries"]![0]!["event"]!["data"]!["text"] = new string('u', (int)DeliveryLimit - 64 * 1024);
        var over = BulkRequest(["over:0"]);
        over["entries"]![0]!["event"]!["data"]!["text"] = new string('o', (int)DeliveryLimit + 64 * 1024);

        using var accepted = await PostAsync("/dapr/subscriptions/writer", under.ToJsonString(), "application/json");
        // Expect: 100-continue lets Kestrel answer from the Content-Length before the body is sent, so the
        // client never writes into a connection the server has closed.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dapr/subscriptions/writer")
        {
            Content = new StringContent(over.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var refused = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal(["under:0"], handler.Handled.Select(m => m.Id));
    }

    [Fact]
    public async Task A_raw_bulk_entry_is_base64_decoded_and_one_that_is_not_base64_is_dropped()
    {
        // With rawPayload, daprd 1.16 puts each message's bytes base64-encoded in "event" (bulksubscription.go).
        var payload = "{\"id\":\"raw:0\",\"specversion\":\"1.0\"}"u8.ToArray();
        var request = BulkRequest([]);
        request["entries"]!.AsArray().Add(new JsonObject { ["entryId"] = "raw", ["event"] = Convert.ToBase64String(payload), ["contentType"] = "application/octet-stream" });
        request["entries"]!.AsArray().Add(new JsonObject { ["entryId"] = "garbled", ["event"] = "not base64 at all!", ["contentType"] = "application/octet-stream" });

        using var response = await PostAsync("/dapr/subscriptions/writer", request.ToJsonString(), "application/json");

        var statuses = StatusesOf(await response.Content.ReadAsStringAsync());
        Assert.Equal("SUCCESS", statuses["raw"]);
        Assert.Equal("DROP", statuses["garbled"]);
        var message = Assert.Single(handler.Handled);
        Assert.Equal(payload, message.Data.ToArray());
        Assert.Equal("raw", message.Id);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string contentType)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await http.PostAsync(path, content);
    }

    /// <summary>The path daprd posts to (the SDK writes it without the leading slash).</summary>
    private static string? RouteOf(JsonNode subscription) =>
        ((string?)subscription["route"] ?? (string?)subscription["routes"]?["default"])?.TrimStart('/');

    private static string EntryIdOf(string id) => $"entry-{id}";

    private static Dictionary<string, string> StatusesOf(string json) =>
        JsonNode.Parse(json)!["statuses"]!.AsArray()
            .ToDictionary(s => (string)s!["entryId"]!, s => (string)s!["status"]!);

    /// <summary>Our CloudEvent as daprd delivers it: our attributes plus the ones the sidecar adds.</summary>
    private static JsonObject DaprCloudEvent(string id, string topic) => new()
    {
        ["id"] = id,
        ["source"] = "dp-ingestion",
        ["type"] = "event.ingested",
        ["specversion"] = "1.0",
        ["datacontenttype"] = "application/json",
        ["data"] = new JsonObject { ["text"] = $"payload {id}" },
        ["topic"] = topic,
        ["pubsubname"] = Components.PubSub,
        ["traceid"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ["tracestate"] = "",
    };

    /// <summary>The body of a bulk delivery as daprd posts it to a bulk-subscribed route.</summary>
    private static JsonObject BulkRequest(IEnumerable<string> ids)
    {
        var entries = new JsonArray();
        foreach (var id in ids)
        {
            entries.Add(new JsonObject
            {
                ["entryId"] = EntryIdOf(id),
                ["event"] = DaprCloudEvent(id, Topics.EventsIngested),
                ["contentType"] = "application/cloudevents+json",
                ["metadata"] = new JsonObject(),
            });
        }

        return new JsonObject
        {
            ["entries"] = entries,
            ["id"] = Guid.NewGuid().ToString(),
            ["metadata"] = new JsonObject(),
            ["pubsubname"] = Components.PubSub,
            ["topic"] = Topics.EventsIngested,
            ["type"] = "com.dapr.event.sent",
        };
    }
}
