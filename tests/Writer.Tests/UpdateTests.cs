using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer.DeadLetters;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Writer.Tests;

/// <summary>Client updates (PUT /events): merged on the latest revision, winning on read, rolled up into the session.</summary>
[Collection(WriterCollection.Name)]
public sealed class UpdateTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000;

    [Fact]
    public async Task An_update_after_the_insert_merges_buckets_replaces_outputs_and_reaches_the_session_roll_up()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var root = writer.Event(session, "session", T0, T0 + 100);
        var model = writer.Event(session, "model", T0, T0 + 1_000, e =>
        {
            e.Config["model"] = "gpt-4o-mini";
            e.Metadata["prompt_tokens"] = 10;
            e.Metadata["keep"] = "me";
            e.Outputs["content"] = "draft";
            e.Outputs["role"] = "assistant";
        });
        await writer.PublishAsync(root, model);
        await writer.WaitForAsync(r => r.Any(e => e.EventId == model.EventId) && SessionOf(r, session)?.Metadata.ContainsKey("num_events") == true, "the event and its session");

        await writer.PublishUpdateAsync(new EventUpdate
        {
            EventId = model.EventId,
            Feedback = new JsonObject { ["rating"] = 5 },
            Metadata = new JsonObject { ["prompt_tokens"] = 35, ["reviewed"] = true },
            Metrics = new JsonObject { ["accuracy"] = 0.9 },
            Outputs = new JsonObject { ["content"] = "final" },
            Duration = 2_000,
        });

        var rows = await writer.WaitForAsync(r => r.Single(e => e.EventId == model.EventId).Feedback.ContainsKey("rating"), "the update on read");
        var updated = rows.Single(e => e.EventId == model.EventId);
        Assert.Equal("5", updated.Feedback["rating"]);
        Assert.Equal("35", updated.Metadata["prompt_tokens"]);
        Assert.Equal("\"me\"", updated.Metadata["keep"]);
        Assert.Equal("true", updated.Metadata["reviewed"]);
        Assert.Equal("0.9", updated.Metrics["accuracy"]);
        Assert.Equal("\"gpt-4o-mini\"", updated.Config["model"]);
        // Outputs are replaced, not merged.
        Assert.Equal("\"final\"", updated.Outputs["content"]);
        Assert.False(updated.Outputs.ContainsKey("role"));
        Assert.Equal(2_000, updated.Duration, 3);
        Assert.Equal(T0 + 2_000, updated.EndMs, 3);
        Assert.Equal(2 * EventRow.ClientVersionUnit, updated.Version);

        var sessionRow = await writer.WaitForAsync(r => SessionOf(r, session)?.Metadata["has_feedback"] == "true", "the session roll-up to see the feedback");
        Assert.Equal("35", SessionOf(sessionRow, session)!.Metadata["prompt_tokens"]);
        // The new token count re-derives the total (no completion tokens were sent) and the cost.
        Assert.Equal("35", updated.Metadata["total_tokens"]);
        Assert.Equal(35 * 0.15 / 1_000_000, double.Parse(updated.Metadata["cost"], System.Globalization.CultureInfo.InvariantCulture), 12);
    }

    [Fact]
    public async Task Updates_in_the_same_batch_as_the_create_apply_in_order_and_an_unknown_event_is_dead_lettered_alone_after_the_wait_limit()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, UpdateOrderTests.ShortWait, start: false);
        var session = Guid.NewGuid().ToString();
        var tool = writer.Event(session, "tool", T0, T0 + 10, e => e.Metadata["step"] = 1);
        await writer.PublishAsync(tool);
        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Metadata = new JsonObject { ["step"] = 2 } });
        await writer.PublishUpdateAsync(new EventUpdate { EventId = tool.EventId, Metadata = new JsonObject { ["step"] = 3, ["last"] = true } });
        var unknown = Guid.NewGuid().ToString();
        await writer.PublishUpdateAsync(new EventUpdate { EventId = unknown, Feedback = new JsonObject { ["rating"] = 1 } });
        // Started only now, so all four messages arrive in one batch.
        await writer.StartAsync();

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == tool.EventId && e.Metadata.ContainsKey("last")), "both updates applied");
        var stored = rows.Single(e => e.EventId == tool.EventId);
        Assert.Equal("3", stored.Metadata["step"]);
        Assert.DoesNotContain(rows, r => r.EventId == unknown);

        var keys = await Eventually.ValueAsync(() => ListKeys(writer), k => k.Count == 1, "the unknown event's update in the dead-letter store");
        var letter = await writer.Services.GetRequiredService<DeadLetterStore>().ReadAsync(keys[0], CancellationToken.None);
        Assert.Contains(unknown, letter!.Reason, StringComparison.Ordinal);
        Assert.Single(letter.Messages);
    }

    private static EventRow? SessionOf(List<EventRow> rows, string session) => rows.SingleOrDefault(r => r.EventId == session);

    private static async Task<List<string>> ListKeys(WriterHarness writer)
    {
        var keys = new List<string>();
        await foreach (var key in writer.Services.GetRequiredService<IObjectStore>().ListAsync("deadletters/", CancellationToken.None)) keys.Add(key);
        return keys;
    }
}
