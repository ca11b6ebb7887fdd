using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using HoneyHive.Platform.Tests.Messaging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// <c>provision-streams</c>, the init container of every Kubernetes pod that uses pub/sub (Dapr's
/// pubsub.jetstream creates no stream), against a real nats-server of its own that starts empty.
/// </summary>
public sealed class ProvisionStreamsCommandTests
{
    [Fact]
    public async Task Creates_every_stream_with_the_single_node_configuration_and_is_idempotent()
    {
        await using var nats = await PrivateNatsServer.StartAsync();
        string[] args = [$"--ConnectionStrings:nats={nats.Url}", "--timeout=00:01:00"];

        Assert.Equal(0, await ProvisionStreamsCommand.RunAsync(args));
        Assert.Equal(0, await ProvisionStreamsCommand.RunAsync(args));

        await using var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url });
        var js = new NatsJSContext(connection);
        var names = new List<string>();
        await foreach (var name in js.ListStreamNamesAsync()) names.Add(name);
        Assert.Equal(Streams.Subjects.Keys.Order(), names.Order());
        foreach (var (name, subject) in Streams.Subjects)
        {
            var expected = JetStreamTopology.StreamConfigFor(name, subject, new MessagingOptions());
            var actual = (await js.GetStreamAsync(name)).Info.Config;
            Assert.Equal(expected.Subjects, actual.Subjects);
            Assert.Equal(expected.Storage, actual.Storage);
            Assert.Equal(expected.Retention, actual.Retention);
            Assert.Equal(expected.Discard, actual.Discard);
            Assert.Equal(expected.DuplicateWindow, actual.DuplicateWindow);
            Assert.Equal(expected.MaxAge, actual.MaxAge);
            Assert.Equal(expected.NumReplicas, actual.NumReplicas);
        }
    }

    [Fact]
    public async Task Without_a_NATS_address_it_exits_1()
    {
        Assert.Equal(1, await ProvisionStreamsCommand.RunAsync([]));
    }

    [Fact]
    public async Task With_NATS_unreachable_it_gives_up_after_its_timeout_with_exit_code_1()
    {
        await using var nats = await PrivateNatsServer.StartAsync();
        var url = nats.Url;
        await nats.StopAsync();

        var started = DateTime.UtcNow;
        var exit = await ProvisionStreamsCommand.RunAsync([$"--ConnectionStrings:nats={url}", "--timeout=00:00:03"]);

        Assert.Equal(1, exit);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60));
    }
}
