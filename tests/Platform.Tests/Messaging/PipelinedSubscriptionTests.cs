using HoneyHive.Contracts;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>A subscription whose handler prepares batches ahead (IPreparingBatchHandler), against the real NATS server.</summary>
public sealed class PipelinedSubscriptionTests
{
    [Fact]
    public async Task The_next_batch_is_prepared_while_the_current_one_is_handled_and_each_is_handled_once_in_order()
    {
        var handler = new PreparingRecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxBatchSize = 1 });
        var messages = Enumerable.Range(0, 3).Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"m{i}")).ToList();
        // The first message's handling returns only once the second has been prepared: no overlap, no progress.
        handler.HoldUntilPrepared[messages[0].Id] = messages[1].Id;

        await harness.Publisher.PublishBatchAsync(messages, CancellationToken.None);

        await Eventually.TrueAsync(() => handler.Handled.Count >= 3, "three handled messages");
        var info = await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "nothing pending");
        var log = handler.Log.ToList();
        Assert.DoesNotContain(log, e => e.StartsWith("timeout:", StringComparison.Ordinal));
        Assert.True(log.IndexOf("prepare:" + messages[1].Id) < log.IndexOf("handled:" + messages[0].Id), string.Join(' ', log));
        // Handling stays one batch at a time, in order: each starts after the previous one ended.
        Assert.Equal(messages.Select(m => m.Id), handler.Handled.Select(h => h.Message.Id));
        Assert.True(log.IndexOf("handled:" + messages[0].Id) < log.IndexOf("handle:" + messages[1].Id), string.Join(' ', log));
        // Each batch was handed its own preparation.
        Assert.All(handler.Handled, h => Assert.Equal("prepared:" + h.Message.Id, h.Preparation));
        Assert.Equal(0, info.NumRedelivered);
    }

    [Fact]
    public async Task A_batch_that_fails_after_the_next_was_prepared_is_not_acked_and_comes_back_while_the_next_is_handled_once()
    {
        var failed = 0;
        var handler = new PreparingRecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxBatchSize = 1 });
        var messages = Enumerable.Range(0, 2).Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"m{i}")).ToList();
        handler.HoldUntilPrepared[messages[0].Id] = messages[1].Id;
        handler.FailWhen = batch => batch[0].Id == messages[0].Id && Interlocked.Exchange(ref failed, 1) == 0;

        await harness.Publisher.PublishBatchAsync(messages, CancellationToken.None);

        await Eventually.TrueAsync(() => handler.Handled.Count >= 2, "both messages handled");
        await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "nothing pending");
        var handled = handler.Handled.ToList();
        Assert.Equal(messages.Select(m => m.Id).Order(), handled.Select(h => h.Message.Id).Order());
        // The failed first delivery was not acked: it came back as a second delivery.
        Assert.Equal(2, handled.Single(h => h.Message.Id == messages[0].Id).Message.DeliveryCount);
        Assert.Equal(1, handled.Single(h => h.Message.Id == messages[1].Id).Message.DeliveryCount);
        Assert.Equal(2, handler.Log.Count(e => e == "handle:" + messages[0].Id));
        Assert.Equal(0, await harness.CountAsync(Streams.DeadLetters, harness.DeadLetterTopic));
    }
}
