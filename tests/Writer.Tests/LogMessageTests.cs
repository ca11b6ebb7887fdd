using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// Chat messages from OTLP log records (GenAI events), published by ingestion as updates of their span's event:
/// each lands once, in record order, whichever order the updates and the span arrive in.
/// </summary>
[Collection(WriterCollection.Name)]
public sealed class LogMessageTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000;

    [Fact]
    public async Task Messages_from_updates_in_any_order_land_once_each_in_record_order_with_choices_by_index()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        var session = Guid.NewGuid().ToString();
        var model = writer.Event(session, "model", T0, T0 + 10);
        await writer.PublishAsync(model);
        await writer.WaitForAsync(r => r.Any(e => e.EventId == model.EventId), "the span's event");

        // The later records first, then the earlier ones, then a retried export of the first update with one more record.
        var user = Message("k-user", LogMessage.ChatHistory, 2, new JsonObject { ["role"] = "user", ["content"] = "Capital of France?" });
        var system = Message("k-system", LogMessage.ChatHistory, 1, new JsonObject { ["role"] = "system", ["content"] = "Be brief." });
        var second = Message("k-choice-1", LogMessage.Choice, 3, new JsonObject { ["role"] = "assistant", ["content"] = "Paris, France", ["finish_reason"] = "length" }, index: 1);
        var first = Message("k-choice-0", LogMessage.Choice, 3, new JsonObject { ["role"] = "assistant", ["content"] = "Paris", ["finish_reason"] = "stop" }, index: 0);
        var tool = Message("k-tool", LogMessage.ChatHistory, 2, new JsonObject { ["role"] = "tool", ["content"] = "{}", ["tool_call_id"] = "call_1" }, sequence: 5);
        await writer.PublishUpdateAsync(new EventUpdate { EventId = model.EventId, LogMessages = [user, second] });
        await writer.PublishUpdateAsync(new EventUpdate { EventId = model.EventId, LogMessages = [system, first] });
        await writer.PublishUpdateAsync(new EventUpdate { EventId = model.EventId, LogMessages = [Clone(user), Clone(second), tool] });

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == model.EventId && e.Inputs.TryGetValue("chat_history", out var h) && h.Contains("call_1", StringComparison.Ordinal)), "every message merged");
        var stored = rows.Single(e => e.EventId == model.EventId);
        var history = JsonNode.Parse(stored.Inputs["chat_history"])!.AsArray();
        Assert.Equal(["system", "user", "tool"], history.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("Capital of France?", history[1]!["content"]!.GetValue<string>());
        var choices = JsonNode.Parse(stored.Outputs["choices"])!.AsArray();
        Assert.Equal(["Paris", "Paris, France"], choices.Select(c => c!["content"]!.GetValue<string>()));
        Assert.Equal("\"Paris\"", stored.Outputs["content"]);
        Assert.Equal("\"stop\"", stored.Outputs["finish_reason"]);
    }

    [Fact]
    public async Task Messages_follow_the_spans_own_chat_history_and_merge_into_an_offloaded_one()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, new Dictionary<string, string?> { ["Writer:LargePayloadBytes"] = "4096", ["Writer:PreviewChars"] = "100" });
        var session = Guid.NewGuid().ToString();
        var long_ = string.Concat(Enumerable.Repeat("context ", 1_000));
        var model = writer.Event(session, "model", T0, T0 + 10, e => e.Inputs["chat_history"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = long_ }));
        await writer.PublishAsync(model);
        await writer.WaitForAsync(r => r.Any(e => e.EventId == model.EventId), "the span's event");

        await writer.PublishUpdateAsync(new EventUpdate
        {
            EventId = model.EventId,
            LogMessages = [Message("k-late", LogMessage.ChatHistory, 5, new JsonObject { ["role"] = "assistant", ["content"] = "noted" })],
        });

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == model.EventId && e.Metadata.ContainsKey("gen_ai_log_records")), "the message merged");
        var stored = rows.Single(e => e.EventId == model.EventId);
        var reference = JsonSerializer.Deserialize<PayloadReference>(stored.Inputs[PayloadReference.MarkerKey])!;
        await using var whole = await writer.Services.GetRequiredService<IObjectStore>().GetAsync(reference.Key, CancellationToken.None);
        var inputs = (await JsonNode.ParseAsync(whole!))!;
        var history = inputs["chat_history"]!.AsArray();
        Assert.Equal(2, history.Count);
        Assert.Equal(long_, history[0]!["content"]!.GetValue<string>());
        Assert.Equal("noted", history[1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Records_for_a_span_that_never_arrives_are_stored_as_their_own_events_not_dead_lettered()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, UpdateOrderTests.ShortWait);
        var unknownSpan = Guid.NewGuid().ToString();
        var orphanId = Guid.NewGuid().ToString();
        var orphan = JsonSerializer.SerializeToNode(writer.Event(Guid.NewGuid().ToString(), "tool", T0, T0, e =>
        {
            e.ParentId = unknownSpan;
            e.EventName = "gen_ai.user.message";
            e.Outputs["content"] = "hello?";
        }, eventId: orphanId))!.AsObject();
        var message = Message("k-orphan", LogMessage.ChatHistory, 1, new JsonObject { ["role"] = "user", ["content"] = "hello?" });

        await writer.PublishUpdateAsync(new EventUpdate
        {
            EventId = unknownSpan,
            LogMessages = [new LogMessage { Key = message.Key, Target = message.Target, Time = message.Time, Message = message.Message, OrphanEvent = orphan }],
        });

        var rows = await writer.WaitForAsync(r => r.Any(e => e.EventId == orphanId), "the record stored as its own event");
        var stored = rows.Single(e => e.EventId == orphanId);
        Assert.Equal("gen_ai.user.message", stored.EventName);
        Assert.Equal("\"hello?\"", stored.Outputs["content"]);
        Assert.Equal(unknownSpan, stored.ParentId);
        Assert.DoesNotContain(rows, e => e.EventId == unknownSpan);
        var deadLetters = new List<string>();
        await foreach (var key in writer.Services.GetRequiredService<IObjectStore>().ListAsync("deadletters/", CancellationToken.None)) deadLetters.Add(key);
        Assert.Empty(deadLetters);
    }

    private static LogMessage Message(string key, string target, ulong time, JsonObject message, int sequence = 0, int? index = null) =>
        new() { Key = key, Target = target, Time = time, Sequence = sequence, Index = index, Message = message };

    private static LogMessage Clone(LogMessage m) =>
        new() { Key = m.Key, Target = m.Target, Time = m.Time, Sequence = m.Sequence, Index = m.Index, Message = (JsonObject)m.Message.DeepClone() };
}
