using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// A Host whose Writer kills the process (SIGKILL) after its first insert, before the ack: the test fault
/// <c>Faults:CrashAfterBatch</c> wraps the Writer's handler from outside (CrashingBatchHandler). On a NATS
/// server of its own: on the shared one, the first batch could be another test's events, killing it too early.
/// </summary>
public sealed class HostThatCrashesAfterInsert : HostWithPrivateNats
{
    private const string FaultsSwitch = "Faults__Enabled";
    private const string CrashSwitch = "Faults__CrashAfterBatch";

    public HostThatCrashesAfterInsert()
    {
        ExtraEnvironment[FaultsSwitch] = "true";
        // The Writer's subscription alone: a crash after another handler could stop the Writer anywhere in its batch.
        ExtraEnvironment[CrashSwitch] = WriterConsumer;
        // The batch that was never acked comes back 5 s after its delivery rather than the default 30 s.
        ExtraEnvironment["Writer__AckWait"] = "00:00:05";
    }

    public Task RestartWithoutFaultAsync()
    {
        ExtraEnvironment.Remove(CrashSwitch);
        ExtraEnvironment.Remove(FaultsSwitch);
        return StartAsync();
    }
}

public sealed class CrashRecoveryTests(HostThatCrashesAfterInsert host) : IClassFixture<HostThatCrashesAfterInsert>
{
    private const int Events = 40;

    [Fact]
    public async Task A_writer_killed_between_insert_and_ack_has_every_event_once_after_the_restart()
    {
        var marker = Guid.NewGuid().ToString();
        var events = string.Join(',', Enumerable.Range(0, Events).Select(i =>
            $$$"""{"event_type":"tool","event_name":"lookup","inputs":{"question":"q{{{i}}}"},"metadata":{"marker":"{{{marker}}}"}}"""));
        using (var client = host.Client(host.DataPlaneApi, host.ApiKey))
        {
            using var response = await client.PostAsync(new Uri("/v1/events/batch", UriKind.Relative),
                new StringContent($$"""{"events":[{{events}}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The Writer inserts the batch, then the fault kills the process before the ack.
        // 137 = 128 + SIGKILL: killed, not a clean exit.
        Assert.Equal(137, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        await host.RestartWithoutFaultAsync();
        await WaitUntilEverythingIsAckedAsync();

        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        using var search = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new
        {
            filters = new[] { new { field = "metadata.marker", @operator = "is", value = marker, type = "string" } },
            limit = 100,
        });
        var page = JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        var ids = page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("event_id").GetString()).ToList();
        Assert.Equal(Events, ids.Count);
        Assert.Equal(Events, ids.Distinct().Count());

        // The field catalogue counts every physical row the materialized views saw: a re-inserted batch
        // would count each question twice even though reads deduplicate it.
        using var schema = await api.GetAsync(new Uri("/v1/events/schema", UriKind.Relative));
        var fields = JsonDocument.Parse(await schema.Content.ReadAsStringAsync()).RootElement.GetProperty("fields");
        var question = fields.EnumerateArray().Single(f => f.GetProperty("name").GetString() == "inputs.question" && f.GetProperty("event_type").GetString() == "tool");
        Assert.Equal(Events, question.GetProperty("occurrences").GetInt64());
    }

    /// <summary>The redelivered batch has been handled and acked: nothing pending, nothing waiting for an ack.</summary>
    private async Task WaitUntilEverythingIsAckedAsync()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = host.NatsUrl });
        var js = new NatsJSContext(nats);
        await Eventually.ValueAsync(
            async () => (await js.GetConsumerAsync(HoneyHive.Contracts.Streams.Events, host.WriterConsumer)).Info,
            info => info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0 && info.Delivered.ConsumerSeq > 1,
            "the Writer to acknowledge the redelivered batch",
            TimeSpan.FromSeconds(90));
    }
}
