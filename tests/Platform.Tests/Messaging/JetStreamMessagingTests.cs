using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>The JetStream adapter against the real NATS server (HH_TEST_NATS_URL).</summary>
public sealed class JetStreamMessagingTests
{
    [Fact]
    public async Task Published_messages_reach_the_handler_and_are_acked_once()
    {
        var handler = new RecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler);
        var messages = Enumerable.Range(0, 3)
            .Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"hello {i}"))
            .ToList();

        await harness.Publisher.PublishAsync(messages[0], CancellationToken.None);
        await harness.Publisher.PublishBatchAsync(messages.GetRange(1, messages.Count - 1), CancellationToken.None);

        await Eventually.TrueAsync(() => handler.Handled.Count >= 3, "three handled messages");
        var info = await Eventually.ValueAsync(
            harness.ConsumerInfoAsync,
            i => i.NumAckPending == 0 && i.NumPending == 0,
            "the consumer to have nothing pending");

        Assert.Equal(messages.Select(m => m.Id).Order(), handler.Handled.Select(m => m.Id).Order());
        Assert.All(handler.Handled, m => Assert.Equal(1, m.DeliveryCount));
        Assert.All(handler.Handled, m => Assert.Equal(harness.Topic, m.Topic));
        Assert.Equal(messages[1].Data.ToArray(), handler.Handled.Single(m => m.Id == messages[1].Id).Data.ToArray());
        Assert.Equal(0, info.NumRedelivered);
        Assert.Equal(3UL, (ulong)info.Delivered.ConsumerSeq);
    }

    [Fact]
    public async Task A_subscription_bounded_by_bytes_gets_batches_within_the_bound_and_every_message_once()
    {
        const int Bound = 100 * 1024;
        using var allPublished = new ManualResetEventSlim();
        // The first batch is held until every message is stored, so the next fetch could take all the rest at once.
        var handler = new RecordingHandler { FailWhen = _ => !allPublished.Wait(Eventually.DefaultLimit) };
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxBatchSize = 50, MaxBatchBytes = Bound });
        var padding = new string('x', 40 * 1024);
        var messages = Enumerable.Range(0, 10)
            .Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"{i} {padding}"))
            .ToList();

        await harness.Publisher.PublishBatchAsync(messages.GetRange(0, 1), CancellationToken.None);
        await Eventually.TrueAsync(() => !handler.Calls.IsEmpty, "the first batch handed over");
        await harness.Publisher.PublishBatchAsync(messages.GetRange(1, messages.Count - 1), CancellationToken.None);
        allPublished.Set();

        await Eventually.TrueAsync(() => handler.Handled.Count >= messages.Count, "every message handled");
        await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "nothing pending");
        Assert.Equal(messages.Select(m => m.Id).Order(), handler.Handled.Select(m => m.Id).Order());
        var batches = handler.Calls.ToList();
        // The message count alone (50) would have taken the nine waiting messages (~370 KB) in one batch.
        Assert.All(batches, b => Assert.True(b.Sum(m => m.Data.Length) <= Bound, $"a batch of {b.Count} messages holds {b.Sum(m => m.Data.Length)} bytes"));
        Assert.Contains(batches, b => b.Count > 1);
    }

    [Fact]
    public async Task A_subscription_that_handles_the_first_message_at_once_hands_over_a_lone_message_before_the_fetch_expires_and_batches_what_waits()
    {
        using var firstHandled = new ManualResetEventSlim();
        using var allPublished = new ManualResetEventSlim();
        // The first batch is held until the rest is stored, so the next batch finds them all waiting.
        var handler = new RecordingHandler { FailWhen = _ => { firstHandled.Set(); return !allPublished.Wait(Eventually.DefaultLimit); } };
        // A fetch that waits to fill its batch would hold a lone message for two minutes, past the wait below (one).
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxBatchSize = 50, MaxWait = TimeSpan.FromMinutes(2), HandleFirstMessageAtOnce = true });
        var messages = Enumerable.Range(0, 6).Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"m {i}")).ToList();

        await harness.Publisher.PublishAsync(messages[0], CancellationToken.None);
        await Eventually.TrueAsync(() => firstHandled.IsSet, "the lone message handed over without waiting for a full batch");
        await harness.Publisher.PublishBatchAsync(messages.GetRange(1, messages.Count - 1), CancellationToken.None);
        allPublished.Set();

        await Eventually.TrueAsync(() => handler.Handled.Count >= messages.Count, "every message handled");
        await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "nothing pending");
        Assert.Equal(messages.Select(m => m.Id).Order(), handler.Handled.Select(m => m.Id).Order());
        Assert.Contains(handler.Calls, b => b.Count > 1);
    }

    [Fact]
    public async Task A_failed_message_is_redelivered_and_then_handled()
    {
        var failedOnce = 0;
        var handler = new RecordingHandler
        {
            FailWhen = _ => Interlocked.Exchange(ref failedOnce, 1) == 0,
        };
        await using var harness = await JetStreamHarness.StartAsync(handler);
        var message = JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-only", "retry me");

        await harness.Publisher.PublishAsync(message, CancellationToken.None);

        await Eventually.TrueAsync(() => !handler.Handled.IsEmpty, "the redelivered message to be handled");
        await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "no pending acks");

        var deliveries = handler.Calls.Select(c => Assert.Single(c)).ToList();
        Assert.Equal([1, 2], deliveries.Select(m => m.DeliveryCount));
        Assert.All(deliveries, m => Assert.Equal(message.Id, m.Id));
        Assert.Equal(message.Id, Assert.Single(handler.Handled).Id);
        Assert.Equal(0, await harness.CountAsync(Streams.DeadLetters, harness.DeadLetterTopic));
    }

    [Fact]
    public async Task The_same_message_id_is_stored_once()
    {
        await using var harness = await JetStreamHarness.StartAsync();
        var message = JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-dup", "once");
        var other = JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-other", "another");

        await harness.Publisher.PublishAsync(message, CancellationToken.None);
        await harness.Publisher.PublishAsync(message, CancellationToken.None);
        await harness.Publisher.PublishBatchAsync([message, other, message, other], CancellationToken.None);

        Assert.Equal(2, await harness.CountAsync(Streams.Events, harness.Topic));
    }

    [Fact]
    public async Task A_poison_message_goes_to_the_dead_letter_subject_and_the_rest_of_its_batch_is_handled()
    {
        const int maxDeliver = 3;
        var handler = new RecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxDeliver = maxDeliver, MaxBatchSize = 50 });
        var poisonId = $"{harness.Topic}-poison";
        handler.FailWhen = batch => batch.Any(m => m.Id == poisonId);
        var good = Enumerable.Range(0, 4).Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"good {i}")).ToList();
        var poison = JetStreamHarness.Message(harness.Topic, poisonId, "poison");

        // One batch publish so the consumer is likely to fetch good and poison messages together.
        await harness.Publisher.PublishBatchAsync([good[0], good[1], poison, good[2], good[3]], CancellationToken.None);

        await Eventually.ValueAsync(() => harness.CountAsync(Streams.DeadLetters, harness.DeadLetterTopic), n => n >= 1, "a dead letter");
        var info = await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "no pending acks");

        Assert.Equal(good.Select(m => m.Id).Order(), handler.Handled.Select(m => m.Id).Distinct().Order());
        Assert.DoesNotContain(handler.Handled, m => m.Id == poisonId);
        Assert.Equal(maxDeliver, handler.Calls.Count(c => c.Count == 1 && c[0].Id == poisonId));

        var deadLetter = Assert.Single(await harness.ReadDeadLettersAsync(expected: 1));
        Assert.Equal(harness.DeadLetterTopic, deadLetter.Subject);
        Assert.Equal(poison.Data.ToArray(), deadLetter.Data);
        var headers = deadLetter.Headers!;
        Assert.Equal(harness.Topic, headers[DeadLetterHeaders.OriginalSubject].ToString());
        Assert.Equal(poisonId, headers[DeadLetterHeaders.OriginalId].ToString());
        Assert.Equal(maxDeliver.ToString(System.Globalization.CultureInfo.InvariantCulture), headers[DeadLetterHeaders.DeliveryCount].ToString());
        Assert.Contains("refused a batch", headers[DeadLetterHeaders.Error].ToString(), StringComparison.Ordinal);
        Assert.Equal(harness.Subscription!.Name, headers[DeadLetterHeaders.Subscription].ToString());
        Assert.Equal(0UL, info.NumPending);
    }

    [Fact]
    public async Task A_deferred_message_alone_comes_back_and_its_batch_mates_are_acked_once()
    {
        var handler = new RecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxDeliver = 2, MaxDeferrals = 5, MaxBatchSize = 50 });
        var earlyId = $"{harness.Topic}-early";
        // Deferred on more deliveries than MaxDeliver allows failures: deferrals have a budget of their own.
        handler.DeferWhen = m => m.Id == earlyId && m.DeliveryCount < 4;
        var others = Enumerable.Range(0, 3).Select(i => JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-{i}", $"other {i}")).ToList();

        await harness.Publisher.PublishBatchAsync([others[0], JetStreamHarness.Message(harness.Topic, earlyId, "early"), others[1], others[2]], CancellationToken.None);

        await Eventually.TrueAsync(() => handler.Handled.Any(m => m.Id == earlyId), "the deferred message handled at last");
        await Eventually.ValueAsync(harness.ConsumerInfoAsync, i => i.NumAckPending == 0 && i.NumPending == 0, "no pending acks");
        Assert.Equal(4, handler.Handled.Single(m => m.Id == earlyId).DeliveryCount);
        foreach (var other in others) Assert.Single(handler.Handled, m => m.Id == other.Id);
        Assert.Equal(0, await harness.CountAsync(Streams.DeadLetters, harness.DeadLetterTopic));
    }

    [Fact]
    public async Task A_message_still_deferred_when_the_delivery_budget_ends_goes_to_the_dead_letter_subject()
    {
        var handler = new RecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler, s => s with { MaxDeliver = 1, MaxDeferrals = 2 });
        handler.DeferWhen = _ => true;
        var message = JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-never", "never ready");

        await harness.Publisher.PublishAsync(message, CancellationToken.None);

        var deadLetter = Assert.Single(await harness.ReadDeadLettersAsync(expected: 1));
        Assert.Equal("3", deadLetter.Headers![DeadLetterHeaders.DeliveryCount].ToString());
        Assert.StartsWith("Still deferred after 3 deliveries", deadLetter.Headers[DeadLetterHeaders.Error].ToString(), StringComparison.Ordinal);
        Assert.Empty(handler.Handled);
    }

    [Fact]
    public async Task Provisioning_the_streams_twice_is_harmless_and_applies_the_configuration()
    {
        await using var harness = await JetStreamHarness.StartAsync();

        await harness.Topology.EnsureStreamsAsync(CancellationToken.None);
        await harness.Topology.EnsureStreamsAsync(CancellationToken.None);

        var expectedWindow = new MessagingOptions().DuplicateWindow;
        foreach (var (name, subject) in Streams.Subjects)
        {
            var stream = await harness.Js.GetStreamAsync(name);
            Assert.Equal([subject], stream.Info.Config.Subjects);
            Assert.Equal(StreamConfigStorage.File, stream.Info.Config.Storage);
            Assert.Equal(expectedWindow, stream.Info.Config.DuplicateWindow);
        }
    }

    [Fact]
    public void Stream_limits_come_from_configuration()
    {
        var options = new MessagingOptions
        {
            DuplicateWindow = TimeSpan.FromSeconds(90),
            Limits = { MaxAge = TimeSpan.FromDays(3), MaxBytes = 1 << 30 },
            Streams = { [Streams.DeadLetters] = new StreamLimits { MaxAge = TimeSpan.FromDays(30), MaxMsgs = 1_000_000 } },
        };

        var events = JetStreamTopology.StreamConfigFor(Streams.Events, "events.>", options);
        var deadLetters = JetStreamTopology.StreamConfigFor(Streams.DeadLetters, "deadletter.>", options);

        Assert.Equal(TimeSpan.FromSeconds(90), events.DuplicateWindow);
        Assert.Equal(TimeSpan.FromDays(3), events.MaxAge);
        Assert.Equal(1L << 30, events.MaxBytes);
        Assert.Equal(-1, events.MaxMsgs);
        Assert.Equal(TimeSpan.FromDays(30), deadLetters.MaxAge);
        Assert.Equal(1_000_000, deadLetters.MaxMsgs);
        Assert.Equal(-1, deadLetters.MaxBytes);
    }

    [Fact]
    public async Task Publishing_to_an_unreachable_server_throws_MessageLogUnavailable()
    {
        // A port nobody listens on: the connection keeps retrying in the background, publishes time out.
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddJetStream($"nats://127.0.0.1:{FreePort()}", "platform-tests-unreachable");
        builder.Services.Configure<MessagingOptions>(o => o.PublishTimeout = TimeSpan.FromSeconds(1));
        using var host = builder.Build();
        var publisher = host.Services.GetRequiredService<IEventPublisher>();
        var message = JetStreamHarness.Message("events.test.unreachable", "u-1", "nobody home");

        await Assert.ThrowsAsync<MessageLogUnavailableException>(() => publisher.PublishAsync(message, CancellationToken.None));
        await Assert.ThrowsAsync<MessageLogUnavailableException>(() => publisher.PublishBatchAsync([message, message], CancellationToken.None));
    }

    [Fact]
    public void Backoff_doubles_per_delivery_up_to_the_cap()
    {
        var subscription = new BatchSubscription("b", "events.x", typeof(RecordingHandler))
        {
            RetryBackoff = TimeSpan.FromSeconds(1),
            MaxRetryBackoff = TimeSpan.FromSeconds(5),
        };

        Assert.Equal(
            [1, 2, 4, 5, 5],
            Enumerable.Range(1, 5).Select(n => subscription.BackoffFor(n).TotalSeconds));
    }

    [Fact]
    public void The_consumer_allows_one_delivery_beyond_the_handler_budget()
    {
        var subscription = new BatchSubscription("writer", "events.ingested", typeof(RecordingHandler)) { MaxDeliver = 5, AckWait = TimeSpan.FromSeconds(45) };

        var config = BatchSubscriptionWorker.ConsumerConfigFor(subscription);

        Assert.Equal("writer", config.DurableName);
        Assert.Equal("events.ingested", config.FilterSubject);
        Assert.Equal(ConsumerConfigAckPolicy.Explicit, config.AckPolicy);
        Assert.Equal(TimeSpan.FromSeconds(45), config.AckWait);
        Assert.Equal(6, config.MaxDeliver);
        Assert.Equal(16, BatchSubscriptionWorker.ConsumerConfigFor(subscription with { MaxDeferrals = 10 }).MaxDeliver);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
