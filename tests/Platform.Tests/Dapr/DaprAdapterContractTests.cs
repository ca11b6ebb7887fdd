using System.Text;
using System.Text.Json;
using Grpc.Core;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.Dapr;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>What our Dapr adapters send to the sidecar, recorded by a stand-in speaking Dapr's gRPC API.</summary>
[Trait("Servers", "None")]
public sealed class DaprAdapterContractTests
{
    private static DaprEventPublisher Publisher(SidecarHost host, TimeSpan? timeout = null) =>
        new(host.Client, Options.Create(new MessagingOptions { PublishTimeout = timeout ?? TimeSpan.FromSeconds(10) }),
            NullLogger<DaprEventPublisher>.Instance);

    private static OutgoingMessage Message(string topic, string id, string text) =>
        new(topic, id, JsonSerializer.SerializeToUtf8Bytes(
            new CloudEvent<string>(id, "contract-tests", "test.event", text) { Topic = topic }));

    [Fact]
    public async Task Publish_sends_our_CloudEvent_unchanged_with_its_id_to_the_pubsub_component()
    {
        await using var host = await SidecarHost.StartAsync();
        var message = Message(Topics.EventsIngested, "evt-1:0", "hello");

        await Publisher(host).PublishAsync(message, CancellationToken.None);

        var request = Assert.Single(host.Sidecar.Published);
        Assert.Equal(Components.PubSub, request.PubsubName);
        Assert.Equal(Topics.EventsIngested, request.Topic);
        Assert.Equal(message.Data.ToArray(), request.Data.ToByteArray());
        Assert.Equal("application/cloudevents+json", request.DataContentType);
        Assert.Equal("evt-1:0", request.Metadata["cloudevent.id"]);
        using var sent = JsonDocument.Parse(request.Data.Memory);
        Assert.Equal("evt-1:0", sent.RootElement.GetProperty("id").GetString());
        Assert.Equal("1.0", sent.RootElement.GetProperty("specversion").GetString());
    }

    [Fact]
    public async Task Batch_publish_sends_one_bulk_request_per_topic_with_every_entry_as_a_CloudEvent()
    {
        await using var host = await SidecarHost.StartAsync();
        var ingested = Enumerable.Range(0, 3).Select(i => Message(Topics.EventsIngested, $"e-{i}", $"event {i}")).ToList();
        var scored = Message(Topics.EventsScored, "s-0", "score");

        await Publisher(host).PublishBatchAsync([ingested[0], scored, ingested[1], ingested[2]], CancellationToken.None);

        var requests = host.Sidecar.BulkPublished.Select(b => b.Request).OrderBy(r => r.Topic, StringComparer.Ordinal).ToList();
        Assert.Equal([Topics.EventsIngested, Topics.EventsScored], requests.Select(r => r.Topic));
        Assert.All(requests, r => Assert.Equal(Components.PubSub, r.PubsubName));
        // Dapr.Client 1.19 calls the stable method (daprd still serves BulkPublishEventAlpha1 too).
        Assert.All(host.Sidecar.BulkPublished, b => Assert.Equal(nameof(RecordingSidecar.BulkPublishEvent), b.Method));
        var entries = requests[0].Entries;
        Assert.Equal(ingested.Select(m => Encoding.UTF8.GetString(m.Data.Span)), entries.Select(e => e.Event.ToStringUtf8()));
        Assert.All(entries, e => Assert.Equal("application/cloudevents+json", e.ContentType));
        Assert.Equal(entries.Count, entries.Select(e => e.EntryId).Distinct().Count());
        Assert.Equal(scored.Data.ToArray(), Assert.Single(requests[1].Entries).Event.ToByteArray());
    }

    [Fact]
    public async Task A_sidecar_that_refuses_the_publish_surfaces_as_MessageLogUnavailable()
    {
        await using var host = await SidecarHost.StartAsync();
        host.Sidecar.PublishFailure = StatusCode.Unavailable;
        var message = Message(Topics.EventsIngested, "x-1", "x");

        await Assert.ThrowsAsync<MessageLogUnavailableException>(() => Publisher(host).PublishAsync(message, CancellationToken.None));
        await Assert.ThrowsAsync<MessageLogUnavailableException>(() => Publisher(host).PublishBatchAsync([message], CancellationToken.None));
    }

    [Fact]
    public async Task Failed_bulk_entries_surface_as_MessageLogUnavailable()
    {
        await using var host = await SidecarHost.StartAsync();
        host.Sidecar.FailedBulkEntries.Add("1");
        var messages = Enumerable.Range(0, 3).Select(i => Message(Topics.EventsIngested, $"f-{i}", "x")).ToList();

        var error = await Assert.ThrowsAsync<MessageLogUnavailableException>(
            () => Publisher(host).PublishBatchAsync(messages, CancellationToken.None));
        Assert.Contains("1 of 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_sidecar_at_all_surfaces_as_MessageLogUnavailable()
    {
        var host = await SidecarHost.StartAsync();
        var client = new global::Dapr.Client.DaprClientBuilder().UseGrpcEndpoint(host.Address.ToString()).Build();
        await host.DisposeAsync();
        var publisher = new DaprEventPublisher(client, Options.Create(new MessagingOptions { PublishTimeout = TimeSpan.FromSeconds(5) }),
            NullLogger<DaprEventPublisher>.Instance);

        await Assert.ThrowsAsync<MessageLogUnavailableException>(
            () => publisher.PublishAsync(Message(Topics.EventsIngested, "n-1", "x"), CancellationToken.None));
        client.Dispose();
    }

    [Fact]
    public async Task State_round_trips_bytes_and_uses_first_write_concurrency_with_an_etag()
    {
        await using var host = await SidecarHost.StartAsync();
        var store = new DaprStateStore(host.Client);
        var first = "{\"v\":1}"u8.ToArray();
        var second = "{\"v\":2}"u8.ToArray();

        var absent = await store.GetAsync("run:1", CancellationToken.None);
        Assert.Null(absent.Value);
        Assert.Null(absent.ETag);

        Assert.True(await store.TrySaveAsync("run:1", first, etag: null, CancellationToken.None));
        var saved = await store.GetAsync("run:1", CancellationToken.None);
        Assert.Equal(first, saved.Value);
        Assert.False(string.IsNullOrEmpty(saved.ETag));

        Assert.True(await store.TrySaveAsync("run:1", second, saved.ETag, CancellationToken.None));
        Assert.False(await store.TrySaveAsync("run:1", first, saved.ETag, CancellationToken.None));
        Assert.Equal(second, (await store.GetAsync("run:1", CancellationToken.None)).Value);

        var saves = host.Sidecar.Saves.ToList();
        Assert.Equal(Components.StateStore, saves[0].StoreName);
        Assert.All(saves.Skip(1), s => Assert.Equal(Components.StateStoreConditional, s.StoreName));
        var lastWrite = Assert.Single(saves[0].States);
        Assert.Equal("run:1", lastWrite.Key);
        Assert.Equal(first, lastWrite.Value.ToByteArray());
        Assert.Null(lastWrite.Etag);
        Assert.Equal(Autogen.StateOptions.Types.StateConcurrency.ConcurrencyLastWrite, lastWrite.Options.Concurrency);
        var conditional = Assert.Single(saves[1].States);
        Assert.Equal(saved.ETag, conditional.Etag.Value);
        Assert.Equal(Autogen.StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite, conditional.Options.Concurrency);
        Assert.Equal(Autogen.StateOptions.Types.StateConsistency.ConsistencyStrong, conditional.Options.Consistency);
        Assert.All(host.Sidecar.Gets, g => Assert.Equal(Components.StateStore, g.StoreName));
    }

    [Fact]
    public async Task Lost_ETag_races_go_to_the_conditional_store_and_never_to_the_store_with_the_circuit_breaker()
    {
        await using var host = await SidecarHost.StartAsync();
        var store = new DaprStateStore(host.Client);
        await store.TrySaveAsync("session:1", "{}"u8.ToArray(), etag: null, CancellationToken.None);
        var stale = (await store.GetAsync("session:1", CancellationToken.None)).ETag;
        await store.TrySaveAsync("session:1", "{\"n\":1}"u8.ToArray(), stale, CancellationToken.None);

        // Six lost races in a row: through statestore they would have tripped its breaker (five in a row).
        for (var i = 0; i < 6; i++)
        {
            Assert.False(await store.TrySaveAsync("session:1", "{\"n\":2}"u8.ToArray(), stale, CancellationToken.None));
        }

        var refused = host.Sidecar.Refused.ToList();
        Assert.Equal(6, refused.Count);
        Assert.All(refused, r => Assert.Equal(Components.StateStoreConditional, r.StoreName));
        Assert.DoesNotContain(host.Sidecar.Refused, r => r.StoreName == Components.StateStore);
        Assert.Equal("{\"n\":1}"u8.ToArray(), (await store.GetAsync("session:1", CancellationToken.None)).Value);
    }

    [Fact]
    public async Task A_batch_larger_than_one_bulk_request_goes_out_in_several_each_under_the_limit()
    {
        await using var host = await SidecarHost.StartAsync();
        // Ten 900 KiB chunks of one request: 9 MB in one bulk call is more than daprd's default 4 MiB body
        // limit (the recording sidecar refuses it too, with gRPC's 4 MB default); before, this was a 503.
        var messages = Enumerable.Range(0, 10).Select(i => Message(Topics.EventsIngested, $"big-{i}", new string('x', 900 * 1024))).ToList();
        var limit = new MessagingOptions().Dapr.MaxBulkPublishBytes;

        await Publisher(host).PublishBatchAsync(messages, CancellationToken.None);

        var requests = host.Sidecar.BulkPublished.Select(b => b.Request).ToList();
        Assert.True(requests.Count > 1);
        Assert.All(requests, r => Assert.True(r.CalculateSize() <= limit + 4096, $"a bulk request of {r.CalculateSize()} bytes"));
        Assert.All(requests, r => Assert.Equal(Topics.EventsIngested, r.Topic));
        var sent = requests.SelectMany(r => r.Entries).Select(e => JsonDocument.Parse(e.Event.Memory).RootElement.GetProperty("id").GetString()).ToList();
        Assert.Equal(messages.Select(m => m.Id).Order(), sent.Order());
    }

    [Fact]
    public async Task A_message_larger_than_the_log_takes_is_refused_before_any_call_with_its_id_and_size()
    {
        await using var host = await SidecarHost.StartAsync();
        var huge = Message(Topics.EventsIngested, "huge-1", new string('x', 2 * 1024 * 1024));
        var small = Message(Topics.EventsIngested, "small-1", "x");

        var single = await Assert.ThrowsAsync<ArgumentException>(() => Publisher(host).PublishAsync(huge, CancellationToken.None));
        var batch = await Assert.ThrowsAsync<ArgumentException>(() => Publisher(host).PublishBatchAsync([small, huge], CancellationToken.None));

        Assert.Contains("huge-1", single.Message, StringComparison.Ordinal);
        Assert.Contains(huge.Data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), batch.Message, StringComparison.Ordinal);
        Assert.Empty(host.Sidecar.Published);
        Assert.Empty(host.Sidecar.BulkPublished);
    }

    [Fact]
    public async Task Delete_reaches_the_state_store()
    {
        await using var host = await SidecarHost.StartAsync();
        var store = new DaprStateStore(host.Client);
        await store.TrySaveAsync("k", "x"u8.ToArray(), null, CancellationToken.None);

        await store.DeleteAsync("k", CancellationToken.None);

        var delete = Assert.Single(host.Sidecar.Deletes);
        Assert.Equal(Components.StateStore, delete.StoreName);
        Assert.Equal("k", delete.Key);
        Assert.Null((await store.GetAsync("k", CancellationToken.None)).Value);
    }
}
