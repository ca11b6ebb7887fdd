using HoneyHive.Platform.Messaging;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>The adapter rides out a NATS restart: publishes fail as 503s meanwhile, then both sides resume.</summary>
public sealed class NatsRestartTests
{
    [Fact]
    public async Task Publishing_and_consuming_resume_after_the_server_restarts()
    {
        await using var server = await PrivateNatsServer.StartAsync();
        var handler = new RecordingHandler();
        await using var harness = await JetStreamHarness.StartAsync(handler, natsUrl: server.Url);
        var before = JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-before", "before");
        var after = JetStreamHarness.Message(harness.Topic, $"{harness.Topic}-after", "after");

        await harness.Publisher.PublishAsync(before, CancellationToken.None);
        await Eventually.TrueAsync(() => handler.Handled.Any(m => m.Id == before.Id), "the first message to be handled");

        await server.RestartAsync();

        // Until the client has reconnected a publish may be refused as unavailable; the caller retries.
        await Eventually.ValueAsync(async () =>
        {
            try
            {
                await harness.Publisher.PublishAsync(after, CancellationToken.None);
                return true;
            }
            catch (MessageLogUnavailableException)
            {
                return false;
            }
        }, ok => ok, "a publish to succeed after the restart");
        await Eventually.TrueAsync(() => handler.Handled.Any(m => m.Id == after.Id), "the message published after the restart to be handled");

        Assert.Single(handler.Handled, m => m.Id == before.Id);
    }
}
