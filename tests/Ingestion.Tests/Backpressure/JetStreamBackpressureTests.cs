using HoneyHive.Ingestion.Backpressure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Ingestion.Tests.Backpressure;

/// <summary>
/// Back-pressure against a real NATS server: a stream and a durable consumer of each test's own stand for
/// events-stream and the Writer, so no other test's traffic counts.
/// </summary>
public sealed class JetStreamBackpressureTests : IAsyncLifetime
{
    private readonly string id = Guid.NewGuid().ToString("N")[..10];
    private NatsConnection nats = null!;
    private NatsJSContext js = null!;

    private string Stream => "lagtest-" + id;
    private string Subject => $"lagtest.{id}.events";
    private string Consumer => "writer-" + id;

    public async Task InitializeAsync()
    {
        nats = new NatsConnection(new NatsOpts { Url = TestServers.NatsUrl });
        await nats.ConnectAsync();
        js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig(Stream, [$"lagtest.{id}.>"]) { Storage = StreamConfigStorage.Memory });
        await js.CreateOrUpdateConsumerAsync(Stream, new ConsumerConfig(Consumer)
        {
            FilterSubject = $"lagtest.{id}.>",
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromMinutes(5),
            MaxAckPending = 100_000,
        });
    }

    public async Task DisposeAsync()
    {
        await js.DeleteStreamAsync(Stream);
        await nats.DisposeAsync();
    }

    private async Task PublishAsync(int count)
    {
        for (var i = 0; i < count; i++)
            (await js.PublishAsync(Subject, new byte[] { 1, 2, 3 })).EnsureSuccess();
    }

    private async Task<List<INatsJSMsg<byte[]>>> FetchAsync(int max)
    {
        var consumer = await js.GetConsumerAsync(Stream, Consumer);
        var messages = new List<INatsJSMsg<byte[]>>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = max }))
            messages.Add(message);
        return messages;
    }

    private IngestionBackpressure Backpressure(TimeSpan maxLag, long maxBacklogMessages)
    {
        var services = new ServiceCollection()
            .AddSingleton<INatsConnection>(nats)
            .AddSingleton<INatsJSContext>(js)
            .BuildServiceProvider();
        return new IngestionBackpressure(services, new BackpressureOptions
        {
            Stream = Stream,
            Consumers = [Consumer],
            MaxLag = maxLag,
            MaxBacklogMessages = maxBacklogMessages,
            PollInterval = TimeSpan.FromMilliseconds(100),
            RateWindow = TimeSpan.FromSeconds(1),
        }, TimeProvider.System, NullLogger<IngestionBackpressure>.Instance);
    }

    private static async Task<bool> UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }

    [Fact]
    public async Task A_consumer_that_does_not_ack_makes_ingestion_refuse_once_its_lag_passes_the_bound_and_open_again_once_acks_catch_up()
    {
        var backpressure = Backpressure(TimeSpan.FromSeconds(1), maxBacklogMessages: 1_000_000);
        await backpressure.StartAsync(CancellationToken.None);
        try
        {
            await PublishAsync(20);
            // Delivered and never acknowledged: the Writer is stuck on its batch.
            var taken = await FetchAsync(20);

            Assert.True(await UntilAsync(() => !backpressure.Current.Accepting), "ingestion never refused");
            var refused = backpressure.Current;
            Assert.False(refused.LogUnavailable);
            Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
            Assert.Contains("behind", refused.Reason, StringComparison.Ordinal);
            Assert.True(backpressure.Lag.Lag > TimeSpan.FromSeconds(1));
            Assert.Equal(20, backpressure.LastBacklog);

            foreach (var message in taken) await message.AckAsync();

            Assert.True(await UntilAsync(() => backpressure.Current.Accepting), "ingestion never opened again");
            Assert.Equal(0, backpressure.LastBacklog);
        }
        finally
        {
            await backpressure.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_consumer_that_has_acknowledged_everything_keeps_ingestion_open_however_many_messages_the_stream_holds()
    {
        // A message cap far below what the stream holds: were the stream's count what counts, this would refuse.
        var backpressure = Backpressure(TimeSpan.FromSeconds(1), maxBacklogMessages: 100);
        await backpressure.StartAsync(CancellationToken.None);
        try
        {
            await PublishAsync(2000);
            while ((await FetchAsync(500)) is { Count: > 0 } batch)
                foreach (var message in batch) await message.AckAsync(new AckOpts { DoubleAck = true });

            // Polls made after every ack was confirmed.
            var polls = backpressure.Polls;
            Assert.True(await UntilAsync(() => backpressure.Polls >= polls + 3), "the poller stopped");
            Assert.True(backpressure.Current.Accepting);
            Assert.Equal(TimeSpan.Zero, backpressure.Lag.Age);
            Assert.Equal(2000, (long)(await js.GetStreamAsync(Stream)).Info.State.Messages);
        }
        finally
        {
            await backpressure.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_backlog_over_the_hard_message_cap_refuses_even_while_young()
    {
        var backpressure = Backpressure(TimeSpan.FromHours(1), maxBacklogMessages: 10);
        await backpressure.StartAsync(CancellationToken.None);
        try
        {
            await PublishAsync(11);

            Assert.True(await UntilAsync(() => !backpressure.Current.Accepting), "the message cap never refused");
            Assert.Contains("backlog", backpressure.Current.Reason, StringComparison.Ordinal);
        }
        finally
        {
            await backpressure.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_probe_ages_the_first_undelivered_message_and_then_the_unacknowledged_batch_by_the_servers_clock()
    {
        var probe = new WriterLagProbe(js, Stream, TimeProvider.System);
        await PublishAsync(5);
        await Task.Delay(300);

        var waiting = (await probe.ReadAsync(Consumer, CancellationToken.None))!.Value;
        Assert.Equal(5, waiting.Undelivered);
        Assert.True(waiting.OldestAge >= TimeSpan.FromMilliseconds(250));

        var taken = await FetchAsync(5);
        var inFlight = (await probe.ReadAsync(Consumer, CancellationToken.None))!.Value;
        Assert.True(inFlight.FloorIsProgress);
        Assert.Equal(5, inFlight.AwaitingAck);
        Assert.Equal(0, inFlight.Undelivered);
        Assert.True(inFlight.OldestAge >= waiting.OldestAge);

        foreach (var message in taken) await message.AckAsync(new AckOpts { DoubleAck = true });
        var done = (await probe.ReadAsync(Consumer, CancellationToken.None))!.Value;
        Assert.Equal(TimeSpan.Zero, done.OldestAge);
        Assert.Equal(0, done.Backlog);
    }

    [Fact]
    public async Task A_message_held_back_on_purpose_does_not_age_the_line_once_later_ones_are_acknowledged()
    {
        var probe = new WriterLagProbe(js, Stream, TimeProvider.System);
        await PublishAsync(10);
        var taken = await FetchAsync(10);
        // The first waits for something (an update whose event is not stored yet): redelivered in a minute.
        await taken[0].NakAsync(new AckOpts { NakDelay = TimeSpan.FromMinutes(1) });
        foreach (var message in taken.Skip(1)) await message.AckAsync(new AckOpts { DoubleAck = true });
        await Task.Delay(300);

        var reading = (await probe.ReadAsync(Consumer, CancellationToken.None))!.Value;

        Assert.False(reading.FloorIsProgress);
        Assert.Equal(TimeSpan.Zero, reading.OldestAge);
        Assert.Equal(1, reading.Backlog);
        Assert.Equal(0, reading.Waiting);
    }

    [Fact]
    public async Task A_missing_consumer_reads_as_nothing_waiting()
    {
        var probe = new WriterLagProbe(js, Stream, TimeProvider.System);

        Assert.Null(await probe.ReadAsync("no-such-consumer-" + id, CancellationToken.None));
    }
}
