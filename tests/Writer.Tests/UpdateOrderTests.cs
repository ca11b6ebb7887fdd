using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer.DeadLetters;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// Updates that overtake their event (parallel publishers and topics): they wait and apply, in publish
/// order, and only an update whose event never comes is dead-lettered, after Writer:UpdateWaitLimit.
/// </summary>
[Collection(WriterCollection.Name)]
public sealed class UpdateOrderTests(ChdbFixture chdb)
{
    /// <summary>A wait limit a test can outlast, with quick redeliveries.</summary>
    public static readonly Dictionary<string, string?> ShortWait = new()
    {
        ["Writer:UpdateWaitLimit"] = "00:00:03",
        ["Writer:UpdateRetryDelay"] = "00:00:00.200",
        ["Writer:UpdateMaxRetryDelay"] = "00:00:00.400",
    };

    private const double T0 = 1_767_225_600_000;

    [Fact]
    public async Task An_update_published_in_a_batch_before_its_event_is_applied_once_the_event_arrives()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var tool = writer.Event(session, "tool", T0, T0 + 10, e => e.Metadata["step"] = 1);

        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Feedback = new JsonObject { ["rating"] = 4 } });
        await WaitUntilDeferredAsync(writer, tool.EventId);
        await writer.PublishAsync(tool);

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == tool.EventId && e.Feedback.ContainsKey("rating")), "the early update applied");
        var stored = rows.Single(e => e.EventId == tool.EventId);
        Assert.Equal("4", stored.Feedback["rating"]);
        Assert.Equal("1", stored.Metadata["step"]);
        Assert.Empty(await DeadLetterKeysAsync(writer));
    }

    [Fact]
    public async Task An_update_ahead_of_its_event_in_the_same_batch_applies_on_it()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, start: false);
        var session = Guid.NewGuid().ToString();
        var tool = writer.Event(session, "tool", T0, T0 + 10, e => e.Metadata["step"] = 1);
        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Metadata = new JsonObject { ["step"] = 2 } });
        await writer.PublishAsync(tool);
        // Started only now, so the update and then its event arrive in one batch.
        await writer.StartAsync();

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == tool.EventId), "the event");
        var stored = rows.Single(e => e.EventId == tool.EventId);
        Assert.Equal("2", stored.Metadata["step"]);
        Assert.Equal(2 * Storage.EventRow.ClientVersionUnit, stored.Version);
        Assert.Empty(await DeadLetterKeysAsync(writer));
    }

    [Fact]
    public async Task An_early_update_does_not_redeliver_or_duplicate_the_other_events_of_its_batch()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, start: false);
        var session = Guid.NewGuid().ToString();
        var late = writer.Event(session, "tool", T0, T0 + 10);
        await writer.PublishUpdateAsync(new EventUpdate { EventId = late.EventId, Metadata = new JsonObject { ["reviewed"] = true } });
        var others = Enumerable.Range(0, 5).Select(i => writer.Event(session, "model", T0 + i, T0 + i + 5)).ToArray();
        await writer.PublishAsync(others);
        await writer.StartAsync();

        await writer.WaitForAsync(r => others.All(o => r.Any(e => e.EventId == o.EventId)), "the update's batch-mates");
        await WaitUntilDeferredAsync(writer, late.EventId);
        await writer.PublishAsync(late);

        await writer.WaitForAsync(r => r.Any(e => e.EventId == late.EventId && e.Metadata.ContainsKey("reviewed")), "the late event with its update");
        // Redelivering the whole first batch would have inserted each of these again.
        foreach (var other in others) Assert.Equal(1, await writer.RawCountAsync(other.EventId));
        Assert.Empty(await DeadLetterKeysAsync(writer));
    }

    [Fact]
    public async Task Updates_of_one_event_apply_in_publish_order_when_the_first_waited_for_the_event()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var tool = writer.Event(session, "tool", T0, T0 + 10, e => e.Metadata["step"] = 0);

        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Metadata = new JsonObject { ["step"] = 1, ["first"] = true } });
        await WaitUntilDeferredAsync(writer, tool.EventId);
        await writer.PublishAsync(tool);
        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Metadata = new JsonObject { ["step"] = 2, ["second"] = true } });

        var rows = await writer.WaitForAsync(
            r => r.Any(e => e.EventId == tool.EventId && e.Metadata.ContainsKey("first") && e.Metadata.ContainsKey("second")), "both updates applied");
        // The second update was published last, so its step wins even though the first one waited.
        Assert.Equal("2", rows.Single(e => e.EventId == tool.EventId).Metadata["step"]);
        Assert.Empty(await DeadLetterKeysAsync(writer));
    }

    [Fact]
    public async Task An_update_of_an_event_that_never_arrives_is_dead_lettered_only_after_the_wait_limit()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, ShortWait);
        var unknown = Guid.NewGuid().ToString();
        var published = DateTimeOffset.UtcNow;

        await writer.PublishUpdateAsync(new EventUpdate { EventId = unknown, Feedback = new JsonObject { ["rating"] = 1 } });
        await WaitUntilDeferredAsync(writer, unknown);
        Assert.Empty(await DeadLetterKeysAsync(writer));

        var keys = await Eventually.ValueAsync(() => DeadLetterKeysAsync(writer), k => k.Count == 1, "the update's dead letter");
        var letter = await writer.Services.GetRequiredService<DeadLetterStore>().ReadAsync(keys[0], CancellationToken.None);
        Assert.Contains(unknown, letter!.Reason, StringComparison.Ordinal);
        Assert.Contains("not stored within 00:00:03", letter.Reason, StringComparison.Ordinal);
        Assert.True(letter.FailedAt - published >= TimeSpan.FromSeconds(3), $"dead-lettered {letter.FailedAt - published} after the publish, before the wait limit");
        Assert.Single(letter.Messages);
        Assert.False(writer.Services.GetRequiredService<PendingUpdates>().IsWaiting(writer.ProjectId, unknown));
    }

    /// <summary>The Writer has seen the update and deferred it (its event was not stored).</summary>
    private static Task WaitUntilDeferredAsync(WriterHarness writer, string eventId) =>
        Eventually.TrueAsync(() => writer.Services.GetRequiredService<PendingUpdates>().IsWaiting(writer.ProjectId, eventId), "the update deferred");

    private static async Task<List<string>> DeadLetterKeysAsync(WriterHarness writer)
    {
        var keys = new List<string>();
        await foreach (var key in writer.Services.GetRequiredService<IObjectStore>().ListAsync("deadletters/", CancellationToken.None)) keys.Add(key);
        return keys;
    }
}
