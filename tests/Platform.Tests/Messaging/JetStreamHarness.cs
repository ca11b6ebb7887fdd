using System.Text.Json;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>
/// A host wired like a Local-mode service against the real NATS server: streams provisioned, the
/// JetStream publisher, and optionally one batch subscription. Each test gets its own topic
/// (<c>events.test.&lt;guid&gt;</c>) and consumer; disposing removes the consumer and purges the topic.
/// </summary>
public sealed class JetStreamHarness : IAsyncDisposable
{
    private readonly IHost host;

    private JetStreamHarness(IHost host, string topic, BatchSubscription? subscription)
    {
        this.host = host;
        Topic = topic;
        Subscription = subscription;
    }

    public string Topic { get; }

    public string DeadLetterTopic => Topics.DeadLetterPrefix + Topic;

    public BatchSubscription? Subscription { get; }

    public IEventPublisher Publisher => host.Services.GetRequiredService<IEventPublisher>();

    public INatsJSContext Js => host.Services.GetRequiredService<INatsJSContext>();

    public JetStreamTopology Topology => host.Services.GetRequiredService<JetStreamTopology>();

    public static string NewTopic() => $"events.test.{Guid.NewGuid():N}";

    /// <summary>Start a host; <paramref name="subscribe"/> shapes the subscription (null: publisher only).</summary>
    public static async Task<JetStreamHarness> StartAsync(
        IBatchHandler? handler = null,
        Func<BatchSubscription, BatchSubscription>? subscribe = null,
        string? natsUrl = null)
    {
        var topic = NewTopic();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddJetStream(natsUrl ?? TestServers.NatsUrl, "platform-tests");
        BatchSubscription? subscription = null;
        if (handler is not null)
        {
            builder.Services.AddSingleton(handler.GetType(), handler);
            subscription = new BatchSubscription($"test-{Guid.NewGuid():N}", topic, handler.GetType())
            {
                AckWait = TimeSpan.FromSeconds(5),
                MaxWait = TimeSpan.FromSeconds(1),
                RetryBackoff = TimeSpan.FromMilliseconds(100),
                MaxRetryBackoff = TimeSpan.FromMilliseconds(500),
            };
            if (subscribe is not null) subscription = subscribe(subscription);
            builder.Services.AddBatchSubscription(subscription, HostingMode.Local);
        }

        var host = builder.Build();
        await host.StartAsync();
        var harness = new JetStreamHarness(host, topic, subscription);
        await harness.Topology.WhenReadyAsync(CancellationToken.None).WaitAsync(Eventually.DefaultLimit);
        return harness;
    }

    public static OutgoingMessage Message(string topic, string id, string text)
    {
        var envelope = new CloudEvent<Payload>(id, "platform-tests", "test.event", new Payload(text)) { Topic = topic };
        return new OutgoingMessage(topic, id, JsonSerializer.SerializeToUtf8Bytes(envelope));
    }

    /// <summary>Messages stored on <paramref name="subject"/> in <paramref name="stream"/>.</summary>
    public async Task<long> CountAsync(string stream, string subject)
    {
        var info = await Js.GetStreamAsync(stream, new StreamInfoRequest { SubjectsFilter = subject });
        return info.Info.State.Subjects is { } subjects && subjects.TryGetValue(subject, out var count) ? count : 0;
    }

    public async Task<ConsumerInfo> ConsumerInfoAsync()
    {
        var consumer = await Js.GetConsumerAsync(Streams.Events, Subscription!.Name);
        return consumer.Info;
    }

    /// <summary>Read the messages stored on the dead-letter subject of this test's topic.</summary>
    public async Task<List<INatsJSMsg<byte[]>>> ReadDeadLettersAsync(int expected)
    {
        var consumer = await Js.CreateOrderedConsumerAsync(
            Streams.DeadLetters, new NatsJSOrderedConsumerOpts { FilterSubjects = [DeadLetterTopic] });
        var messages = new List<INatsJSMsg<byte[]>>();
        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        await foreach (var msg in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, cancellationToken: limit.Token))
        {
            // nats-server 2.9 (Debian bookworm, the fallback of ./hh) ignores FilterSubjects: filter here too.
            if (msg.Subject != DeadLetterTopic) continue;
            messages.Add(msg);
            if (messages.Count == expected) break;
        }

        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        var js = Js;
        if (Subscription is not null)
        {
            try
            {
                await js.DeleteConsumerAsync(Streams.Events, Subscription.Name);
            }
            catch (NatsJSApiException)
            {
                // Already gone.
            }
        }

        // Keep the shared server clean for the other suites that read events.> and deadletter.>.
        await js.PurgeStreamAsync(Streams.Events, new StreamPurgeRequest { Filter = Topic });
        await js.PurgeStreamAsync(Streams.DeadLetters, new StreamPurgeRequest { Filter = DeadLetterTopic });
        host.Dispose();
    }

    public sealed record Payload(string Text);
}
