using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>Reads what ingestion published on events-stream, straight from JetStream.</summary>
public static class PublishedEvents
{
    // Reads start here unless a test says otherwise: a long-lived stream need not be read from its beginning.
    private static readonly DateTime TestRunStarted = DateTime.UtcNow.AddMinutes(-1);

    /// <summary>Every published CloudEvent (id and events) whose events satisfy <paramref name="match"/>, waiting up to 30 s for at least <paramref name="expected"/> events.</summary>
    public static async Task<List<(string MessageId, JsonObject Event)>> WaitForAsync(string natsUrl, Func<JsonObject, bool> match, int expected, DateTime? since = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<(string, JsonObject)> found = [];
        while (DateTime.UtcNow < deadline)
        {
            found = await ReadAllAsync(natsUrl, match, since);
            if (found.Count >= expected) return found;
            await Task.Delay(250);
        }
        return found;
    }

    public static async Task<List<(string MessageId, JsonObject Event)>> ReadAllAsync(string natsUrl, Func<JsonObject, bool> match, DateTime? since = null)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl });
        var js = new NatsJSContext(connection);
        // A fresh consumer per read: every read starts from the first message.
        var consumer = await js.CreateOrUpdateConsumerAsync(Streams.Events, new ConsumerConfig
        {
            Name = "e2e-reader-" + Guid.NewGuid().ToString("N"),
            FilterSubject = Topics.EventsIngested,
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
            OptStartTime = since ?? TestRunStarted,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        });
        var pending = consumer.Info.NumPending;
        var result = new List<(string, JsonObject)>();
        ulong seen = 0;
        while (seen < pending)
        {
            var before = seen;
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(pending - seen, 10_000), Expires = TimeSpan.FromSeconds(5) }))
            {
                seen++;
                var envelope = JsonNode.Parse(message.Data!)!.AsObject();
                foreach (var item in envelope["data"]!["events"]!.AsArray().OfType<JsonObject>())
                {
                    if (match(item)) result.Add((envelope["id"]!.GetValue<string>(), item));
                }
            }
            if (seen == before) break;
        }
        await js.DeleteConsumerAsync(Streams.Events, consumer.Info.Name);
        return result;
    }
}
