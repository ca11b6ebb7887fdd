using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer.DeadLetters;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Writer.Tests;

[Collection(WriterCollection.Name)]
public sealed class FailureTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000;

    [Fact]
    public async Task A_store_outage_within_the_retry_budget_loses_nothing()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        // Fails the next 4 calls, fewer than the 6 retries the harness allows.
        writer.Store.FailNext(4);
        var events = Session(writer, 20);
        await writer.PublishAsync(events);

        var rows = await writer.WaitForAsync(
            r => r.Count == events.Length && r.Single(x => x.IsSession).Metadata.ContainsKey("num_events"), "every event and the session roll-up");
        Assert.True(writer.Store.Failed >= 4);
        Assert.Equal(events.Select(e => e.EventId).Order(), rows.Select(r => r.EventId).Order());
        Assert.Empty(await DeadLetterKeysAsync(writer));
        Assert.Equal("19", rows.Single(r => r.IsSession).Metadata["num_events"]);
    }

    [Fact]
    public async Task A_store_down_for_good_dead_letters_the_batch_and_replay_restores_every_event()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        writer.Store.Down = true;
        var events = Session(writer, 30);
        await writer.PublishAsync(events[..10]);
        await writer.PublishAsync(events[10..]);

        await Eventually.ValueAsync(() => CountMessagesAsync(writer), n => n == 2, "dead letters for both messages");
        var keys = await DeadLetterKeysAsync(writer);
        Assert.All(keys, k => Assert.Matches(@"^deadletters/events/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.json$", k));
        var letter = await writer.Services.GetRequiredService<DeadLetterStore>().ReadAsync(keys[0], CancellationToken.None);
        Assert.Contains("simulated outage", letter!.Reason);
        // Acked: nothing is left pending on the consumer, so the events are only in the dead letters now.
        writer.Store.Down = false;
        Assert.Empty(await writer.ReadAsync());

        var results = await writer.Services.GetRequiredService<DeadLetterReplayer>().ReplayAsync(publish: false, CancellationToken.None);
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(30, results.Sum(r => r.Events));
        var rows = await writer.ReadAsync();
        Assert.Equal(events.Select(e => e.EventId).Order(), rows.Select(r => r.EventId).Order());
        Assert.Equal("29", rows.Single(r => r.IsSession).Metadata["num_events"]);
        Assert.Empty(await DeadLetterKeysAsync(writer));
    }

    [Fact]
    public async Task Replay_through_the_message_log_reaches_the_running_writer()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        writer.Store.Down = true;
        var events = Session(writer, 5);
        await writer.PublishAsync(events);
        await Eventually.ValueAsync(() => DeadLetterKeysAsync(writer), k => k.Count == 1, "the dead letter");
        writer.Store.Down = false;

        var results = await writer.Services.GetRequiredService<DeadLetterReplayer>().ReplayAsync(publish: true, CancellationToken.None);
        Assert.Single(results, r => r.Error is null);
        var rows = await writer.WaitForAsync(r => r.Count == 5 && r.Single(x => x.IsSession).Metadata.ContainsKey("num_events"), "the replayed events");
        Assert.Equal("4", rows.Single(r => r.IsSession).Metadata["num_events"]);
    }

    [Fact]
    public async Task The_same_batch_delivered_twice_creates_no_duplicate()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var events = Session(writer, 10);
        var publisher = writer.Services.GetRequiredService<IEventPublisher>();
        // Two message ids: the message log's duplicate window cannot catch it, the Writer must. (The ids
        // are unique per run: the window spans the stream, and an id from an earlier run would be dropped.)
        await publisher.PublishAsync(writer.Message(events, writer.Topic + "-first"), CancellationToken.None);
        await writer.WaitForAsync(r => r.Count == 10, "the first delivery");
        await publisher.PublishAsync(writer.Message(events, writer.Topic + "-second"), CancellationToken.None);
        await writer.PublishAsync(writer.Event(events[0].SessionId, "tool", T0, T0 + 1, eventId: "marker"));

        // The marker's row is inserted just before its session's new roll-up: wait for both.
        var rows = await writer.WaitForAsync(
            r => r.Any(x => x.EventId == "marker") && r.Single(x => x.IsSession).Metadata.GetValueOrDefault("num_events") == "10",
            "the marker behind the redelivery, rolled up");
        Assert.Equal(11, rows.Count);
        // Not only deduplicated on read: the child rows were not inserted again.
        foreach (var child in events.Where(e => e.EventType != "session"))
            Assert.Equal(1, await writer.RawCountAsync(child.EventId));
    }

    [Fact]
    public async Task Unreadable_messages_go_to_the_dead_letters_and_the_rest_is_written()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var publisher = writer.Services.GetRequiredService<IEventPublisher>();
        await publisher.PublishAsync(new OutgoingMessage(writer.Topic, writer.Topic + "-garbage", "not json"u8.ToArray()), CancellationToken.None);
        var events = Session(writer, 3);
        await writer.PublishAsync(events);
        await writer.WaitForAsync(r => r.Count == 3, "the readable events");
        var keys = await Eventually.ValueAsync(() => DeadLetterKeysAsync(writer), k => k.Count == 1, "the unreadable message's dead letter");
        var letter = await writer.Services.GetRequiredService<DeadLetterStore>().ReadAsync(keys[0], CancellationToken.None);
        Assert.StartsWith("unreadable", letter!.Reason);
        Assert.Equal("not json", System.Text.Encoding.UTF8.GetString(letter.Messages[0].ToIncoming().Data.Span));
    }

    /// <summary>A session event first, then children (they need not be in that order).</summary>
    private static EventRecord[] Session(WriterHarness writer, int count)
    {
        var session = Guid.NewGuid().ToString();
        return Enumerable.Range(0, count)
            .Select(i => i == 0
                ? writer.Event(session, "session", T0, T0 + 1)
                : writer.Event(session, "tool", T0 + i, T0 + i + 5))
            .ToArray();
    }

    private static async Task<List<string>> DeadLetterKeysAsync(WriterHarness writer)
    {
        var keys = new List<string>();
        await foreach (var key in writer.Services.GetRequiredService<IObjectStore>().ListAsync("deadletters/", CancellationToken.None)) keys.Add(key);
        return keys;
    }

    private static async Task<int> CountMessagesAsync(WriterHarness writer)
    {
        var keys = await DeadLetterKeysAsync(writer);
        var store = writer.Services.GetRequiredService<DeadLetterStore>();
        var total = 0;
        foreach (var key in keys) total += (await store.ReadAsync(key, CancellationToken.None))?.Messages.Count ?? 0;
        return total;
    }
}
