using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.JetStream;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// The subscription prepares (parses, enriches) batch N+1 while batch N is written: one message per batch here,
/// so every batch is prepared behind another. The store is read only when a batch is handled, after the batch
/// before it is stored.
/// </summary>
[Collection(WriterCollection.Name)]
public sealed class PipelinedWriterTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000;

    private static readonly Dictionary<string, string?> OneMessagePerBatch = new() { ["Writer:MaxBatchSize"] = "1", ["Writer:MaxBatchBytes"] = "0" };

    [Fact]
    public async Task An_update_in_the_batch_after_its_event_merges_into_the_stored_event_without_waiting()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, OneMessagePerBatch, start: false);
        var session = Guid.NewGuid().ToString();
        var tool = writer.Event(session, "tool", T0, T0 + 10, e => e.Metadata["step"] = 1);
        await writer.PublishAsync(tool);
        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Metadata = new JsonObject { ["step"] = 2 }, Feedback = new JsonObject { ["rating"] = 5 } });
        // Started only now: the update's batch is fetched and prepared while the event's batch is written.
        await writer.StartAsync();

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == tool.EventId && e.Feedback.ContainsKey("rating")), "the update applied");
        var stored = rows.Single(e => e.EventId == tool.EventId);
        Assert.Equal("2", stored.Metadata["step"]);
        Assert.Equal("5", stored.Feedback["rating"]);
        Assert.Equal(2 * Storage.EventRow.ClientVersionUnit, stored.Version);
        // Found at once: had its lookup run before the event's insert, the update would have been deferred and redelivered.
        // Two messages, two deliveries: the consumer's delivery sequence counts redeliveries too.
        var js = writer.Services.GetRequiredService<INatsJSContext>();
        var info = await Eventually.ValueAsync(
            async () => (await js.GetConsumerAsync(Streams.Events, writer.Consumer)).Info, i => i.NumAckPending == 0 && i.NumPending == 0, "both messages acked");
        Assert.Equal(2UL, (ulong)info.Delivered.ConsumerSeq);
    }

    [Fact]
    public async Task A_failed_insert_in_the_middle_of_a_pipelined_run_stores_every_event_once()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, OneMessagePerBatch, start: false);
        var sessions = Enumerable.Range(0, 6).Select(_ => Session(writer, 5)).ToList();
        foreach (var events in sessions) await writer.PublishAsync(events);
        await writer.StartAsync();
        await writer.WaitForAsync(r => r.Count >= 5, "the first batch");
        // The next inserts into events fail; the batch is retried with the rows its preparation made.
        writer.Store.FailInsertsInto("events", 2);

        var rows = await writer.WaitForAsync(r => r.Count == 30 && r.Where(x => x.IsSession).All(s => s.Metadata.GetValueOrDefault("num_events") == "4"),
            "every event and every roll-up");
        Assert.True(writer.Store.Failed >= 2);
        Assert.Equal(sessions.SelectMany(s => s).Select(e => e.EventId).Order(), rows.Select(r => r.EventId).Order());
        foreach (var child in sessions.SelectMany(s => s).Where(e => e.EventType != "session"))
            Assert.Equal(1, await writer.RawCountAsync(child.EventId));
    }

    private static EventRecord[] Session(WriterHarness writer, int count)
    {
        var session = Guid.NewGuid().ToString();
        return Enumerable.Range(0, count)
            .Select(i => i == 0
                ? writer.Event(session, "session", T0, T0 + 1)
                : writer.Event(session, "tool", T0 + i, T0 + i + 5))
            .ToArray();
    }

    [Theory]
    [InlineData("1048576")]
    [InlineData("-1")]
    public async Task A_byte_bound_a_whole_message_might_not_fit_stops_the_start(string bytes)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WriterHarness.StartAsync(chdb, new Dictionary<string, string?>
        {
            ["Writer:MaxBatchBytes"] = bytes,
        }, start: false));
        Assert.Contains("Writer:MaxBatchBytes", error.Message, StringComparison.Ordinal);
    }
}
