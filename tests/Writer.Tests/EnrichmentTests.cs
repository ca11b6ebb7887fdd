using System.Text.Json;
using HoneyHive.Writer.Storage;

namespace HoneyHive.Writer.Tests;

[Collection(WriterCollection.Name)]
public sealed class EnrichmentTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    [Fact]
    public async Task Session_rolls_up_its_children_and_hands_down_experiment_keys()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var root = writer.Event(session, "session", T0 + 100, T0 + 200, e =>
        {
            e.Source = "evaluation";
            e.Metadata["run_id"] = "run-1";
            e.Metadata["datapoint_id"] = "dp-1";
        });
        var model1 = writer.Event(session, "model", T0, T0 + 1_000, e =>
        {
            e.Config["model"] = "gpt-4o-2024-08-06";
            e.Metadata["prompt_tokens"] = 1000;
            e.Metadata["completion_tokens"] = 500;
            e.Outputs["content"] = "first";
        });
        var model2 = writer.Event(session, "model", T0 + 1_000, T0 + 2_500, e =>
        {
            e.Config["model"] = "gpt-4o-mini";
            e.Metadata["prompt_tokens"] = 2000;
            e.Metadata["completion_tokens"] = 1000;
            e.Metadata["total_tokens"] = 3000;
            e.Feedback["rating"] = 5;
            e.Outputs["content"] = "final answer";
        });
        var tool = writer.Event(session, "tool", T0 + 500, T0 + 900, e => e.Error = "tool timed out");
        var tool2 = writer.Event(session, "tool", T0 + 600, T0 + 950, e => e.Error = "second failure");
        await writer.PublishAsync(root, model1, model2, tool, tool2);

        var rows = await writer.WaitForAsync(r => r.Count == 5 && SessionRow(r, session)?.Metadata.ContainsKey("num_events") == true, "the session with its roll-ups");
        var s = SessionRow(rows, session)!;
        Assert.Equal("4", s.Metadata["num_events"]);
        Assert.Equal("2", s.Metadata["num_model_events"]);
        Assert.Equal("true", s.Metadata["has_feedback"]);
        Assert.Equal(3000, Number(s.Metadata["prompt_tokens"]));
        Assert.Equal(1500, Number(s.Metadata["completion_tokens"]));
        Assert.Equal(4500, Number(s.Metadata["total_tokens"]));
        // gpt-4o: 1000 * 2.50 + 500 * 10 per 1M; gpt-4o-mini: 2000 * 0.15 + 1000 * 0.60 per 1M.
        var expectedCost = (1000 * 2.50 + 500 * 10.0 + 2000 * 0.15 + 1000 * 0.60) / 1_000_000;
        Assert.Equal(expectedCost, Number(s.Metadata["cost"]), 12);
        Assert.Equal(T0, s.StartMs, 3);
        Assert.Equal(T0 + 2_500, s.EndMs, 3);
        Assert.Equal(2_500, s.Duration, 3);
        Assert.Equal("\"final answer\"", s.Outputs["content"]);
        Assert.Equal("second failure", s.Error);
        Assert.Equal(4, s.ChildrenIds.Count);

        var child = rows.Single(r => r.EventId == model1.EventId);
        Assert.Equal("\"run-1\"", child.Metadata["run_id"]);
        Assert.Equal("\"dp-1\"", child.Metadata["datapoint_id"]);
        Assert.Equal("evaluation", child.Source);
        Assert.Equal(1500, Number(child.Metadata["total_tokens"]));
        Assert.Equal((1000 * 2.50 + 500 * 10.0) / 1_000_000, Number(child.Metadata["cost"]), 12);
        Assert.Equal(1000, child.Duration, 3);
    }

    [Fact]
    public async Task Children_before_their_session_wait_then_roll_up_when_it_arrives()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var early = writer.Event(session, "model", T0, T0 + 300, e =>
        {
            e.Config["model"] = "claude-3-5-sonnet-20241022";
            e.Metadata["prompt_tokens"] = 100;
            e.Metadata["completion_tokens"] = 10;
        });
        var late = writer.Event(session, "chain", T0 + 400, T0 + 900);
        await writer.PublishAsync(early);
        await writer.PublishAsync(late);
        var before = await writer.WaitForAsync(r => r.Count == 2, "both children");
        Assert.DoesNotContain(before, r => r.IsSession);

        await writer.PublishAsync(writer.Event(session, "session", T0 + 50, T0 + 60, e => e.Metadata["run_id"] = "run-late"));
        var rows = await writer.WaitForAsync(
            r => SessionRow(r, session)?.Metadata.ContainsKey("num_events") == true && r.All(x => x.Metadata.ContainsKey("run_id")),
            "the late session with roll-ups and its keys handed down");
        var s = SessionRow(rows, session)!;
        Assert.Equal("2", s.Metadata["num_events"]);
        Assert.Equal("1", s.Metadata["num_model_events"]);
        Assert.Equal((100 * 3.0 + 10 * 15.0) / 1_000_000, Number(s.Metadata["cost"]), 12);
        Assert.Equal(T0, s.StartMs, 3);
        Assert.Equal(T0 + 900, s.EndMs, 3);
        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public async Task An_auto_created_session_takes_its_name_and_user_from_the_span_that_announced_it()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        await writer.PublishAsync(writer.Event(session, "chain", T0, T0 + 10, e =>
        {
            e.SessionAutoCreate = true;
            e.Metadata["session_name"] = "support-bot";
            e.UserProperties["user_id"] = "u-42";
        }));
        var rows = await writer.WaitForAsync(r => SessionRow(r, session) is not null, "the auto-created session");
        var s = SessionRow(rows, session)!;
        Assert.Equal("support-bot", s.EventName);
        Assert.Equal("\"u-42\"", s.UserProperties["user_id"]);
    }

    [Fact]
    public async Task Auto_create_makes_the_session_and_a_project_price_overrides_the_table()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, new Dictionary<string, string?>
        {
            ["Writer:Prices:{project}:my-finetune:Input"] = "1000",
            ["Writer:Prices:{project}:my-finetune:Output"] = "2000",
        });
        var session = Guid.NewGuid().ToString();
        var span = writer.Event(session, "model", T0, T0 + 10, e =>
        {
            e.SessionAutoCreate = true;
            e.Source = "otlp";
            e.Config["model"] = "my-finetune";
            e.Metadata["prompt_tokens"] = 10;
            e.Metadata["completion_tokens"] = 20;
        });
        await writer.PublishAsync(span);
        var rows = await writer.WaitForAsync(r => SessionRow(r, session) is not null, "the auto-created session");
        var s = SessionRow(rows, session)!;
        Assert.Equal("Session", s.EventName);
        Assert.Equal("otlp", s.Source);
        Assert.Equal("1", s.Metadata["num_events"]);
        Assert.Equal((10 * 1000.0 + 20 * 2000.0) / 1_000_000, Number(s.Metadata["cost"]), 12);
        Assert.True(s.Version < EventRow.ClientVersionUnit);

        // The real session event replaces the auto-created one and keeps the roll-ups.
        await writer.PublishAsync(writer.Event(session, "session", T0, T0 + 5, e => e.EventName = "chat-session"));
        rows = await writer.WaitForAsync(r => SessionRow(r, session)?.EventName == "chat-session", "the real session event");
        Assert.Equal("1", SessionRow(rows, session)!.Metadata["num_events"]);
        Assert.Single(rows, r => r.IsSession);
    }

    [Fact]
    public async Task An_update_after_the_insert_wins_on_read()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var original = writer.Event(session, "tool", T0, T0 + 10, e => e.Outputs["result"] = "draft");
        await writer.PublishAsync(original);
        await writer.WaitForAsync(r => r.Any(x => x.EventId == original.EventId), "the original");

        var update = writer.Event(session, "tool", T0, T0 + 20, e =>
        {
            e.Outputs["result"] = "final";
            e.Feedback["rating"] = 1;
            e.Revision = 1;
        }, original.EventId);
        await writer.PublishAsync(update);
        var rows = await writer.WaitForAsync(r => r.Single(x => x.EventId == original.EventId).Outputs["result"] == "\"final\"", "the update");
        var row = rows.Single(x => x.EventId == original.EventId);
        Assert.Equal("1", row.Feedback["rating"]);
        Assert.Equal(20, row.Duration, 3);

        // A stale revision delivered late does not win.
        await writer.PublishAsync(writer.Event(session, "tool", T0, T0 + 10, e => e.Outputs["result"] = "stale", original.EventId));
        await writer.PublishAsync(writer.Event(session, "tool", T0, T0 + 1, eventId: "marker"));
        rows = await writer.WaitForAsync(r => r.Any(x => x.EventId == "marker"), "the marker after the stale revision");
        Assert.Equal("\"final\"", rows.Single(x => x.EventId == original.EventId).Outputs["result"]);
    }

    [Fact]
    public async Task A_child_from_the_month_before_moves_the_session_start_only_to_the_first_of_its_month()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        await writer.PublishAsync(writer.Event(session, "session", T0 + 100, T0 + 200));
        await writer.WaitForAsync(r => SessionRow(r, session) is not null, "the session");
        // A trace across midnight of the 1st: the root span started on the last day of the month before.
        var root = writer.Event(session, "chain", T0 - 2_000, T0 + 900);
        await writer.PublishAsync(root);

        var rows = await writer.WaitForAsync(r => SessionRow(r, session)?.Metadata.GetValueOrDefault("num_events") == "1", "the session rolled up");
        var s = SessionRow(rows, session)!;
        Assert.Equal(T0, s.StartMs, 3);
        Assert.Equal(T0 + 900, s.EndMs, 3);
        Assert.Equal(900, s.Duration, 3);
        // Revisions in one partition (merged or not yet); before the fix the rolled-up one sat in the month before.
        Assert.Equal(1, await writer.PartitionsAsync(session));
        Assert.Equal(T0 - 2_000, rows.Single(r => r.EventId == root.EventId).StartMs, 3);
    }

    internal static EventRow? SessionRow(List<EventRow> rows, string session) =>
        rows.SingleOrDefault(r => r.IsSession && r.SessionId == session);

    internal static double Number(string json) => JsonSerializer.Deserialize<double>(json, WriterHarness.RowOptions);
}
