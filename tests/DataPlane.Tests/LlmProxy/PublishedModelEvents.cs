using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>Reads the events published on the events stream straight from JetStream, as the Writer would receive them.</summary>
public static class PublishedModelEvents
{
    private static readonly DateTime Since = DateTime.UtcNow.AddMinutes(-1);

    /// <summary>The published events matching <paramref name="match"/>, waiting (bounded) until there are <paramref name="expected"/>.</summary>
    public static Task<List<JsonObject>> WaitForAsync(Func<JsonObject, bool> match, int expected = 1, string? natsUrl = null) =>
        Eventually.ValueAsync(() => ReadAsync(natsUrl ?? TestServers.NatsUrl, match), found => found.Count >= expected,
            $"{expected} published model event(s)", TimeSpan.FromSeconds(30));

    /// <summary>The event whose first chat message's content is <paramref name="marker"/>.</summary>
    public static async Task<JsonObject> WithMarkerAsync(string marker, string? natsUrl = null) =>
        Assert.Single(await WaitForAsync(e => HasMarker(e, marker), 1, natsUrl));

    public static bool HasMarker(JsonObject evt, string marker) =>
        evt["inputs"]?["chat_history"] is JsonArray messages && messages.Any(m => m?["content"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
            && m["content"]!.GetValue<string>() == marker);

    public static async Task<List<JsonObject>> ReadAsync(string natsUrl, Func<JsonObject, bool> match)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl });
        var js = new NatsJSContext(connection);
        INatsJSConsumer consumer;
        try
        {
            consumer = await js.CreateOrUpdateConsumerAsync(Streams.Events, new ConsumerConfig
            {
                Name = "proxy-reader-" + Guid.NewGuid().ToString("N"),
                FilterSubject = Topics.EventsIngested,
                DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
                OptStartTime = Since,
                AckPolicy = ConsumerConfigAckPolicy.None,
                InactiveThreshold = TimeSpan.FromSeconds(30),
            });
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return []; // the publisher's host has not provisioned the stream yet: nothing published so far
        }
        var pending = consumer.Info.NumPending;
        var result = new List<JsonObject>();
        ulong seen = 0;
        while (seen < pending)
        {
            var before = seen;
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(pending - seen, 10_000), Expires = TimeSpan.FromSeconds(5) }))
            {
                seen++;
                var envelope = JsonNode.Parse(message.Data!)!.AsObject();
                result.AddRange(envelope["data"]!["events"]!.AsArray().OfType<JsonObject>().Where(match));
            }
            if (seen == before) break;
        }
        await js.DeleteConsumerAsync(Streams.Events, consumer.Info.Name);
        return result;
    }
}
