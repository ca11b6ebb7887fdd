using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>A Host on a NATS server of its own, so the test can stop the message log under it.</summary>
public class HostWithPrivateNats : HostProcess
{
    public PrivateNatsServer Nats { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Nats = await PrivateNatsServer.StartAsync();
        NatsUrl = Nats.Url;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Nats.DisposeAsync();
    }
}

/// <summary>
/// A Host that refuses new data once two messages wait unprocessed. On a NATS server of its own, so no other
/// test's events count towards the backlog while the test drains it.
/// </summary>
public sealed class HostWithTinyBacklogLimit : HostWithPrivateNats
{
    public string Laggard { get; } = "laggard-" + Guid.NewGuid().ToString("N")[..8];

    public HostWithTinyBacklogLimit()
    {
        ExtraEnvironment["Ingestion__Backpressure__Consumers__0"] = Laggard;
        ExtraEnvironment["Ingestion__Backpressure__MaxBacklogMessages"] = "2";
        ExtraEnvironment["Ingestion__Backpressure__PollInterval"] = "00:00:00.200";
    }
}

/// <summary>
/// A Host that refuses new data once a laggard consumer's lag in time passes 1 s; its message cap is far away,
/// so only the lag can refuse.
/// </summary>
public sealed class HostWithShortLagBound : HostWithPrivateNats
{
    public string Laggard { get; } = "laggard-" + Guid.NewGuid().ToString("N")[..8];

    public HostWithShortLagBound()
    {
        ExtraEnvironment["Ingestion__Backpressure__Consumers__0"] = Laggard;
        ExtraEnvironment["Ingestion__Backpressure__MaxLag"] = "00:00:01";
        ExtraEnvironment["Ingestion__Backpressure__MaxBacklogMessages"] = "1000000";
        ExtraEnvironment["Ingestion__Backpressure__PollInterval"] = "00:00:00.200";
    }
}

public sealed class LagBoundTests(HostWithShortLagBound host) : IClassFixture<HostWithShortLagBound>
{
    [Fact]
    public Task Over_the_lag_bound_exporters_get_429_with_Retry_After_until_the_laggard_acknowledges() =>
        BacklogLimitTests.RefusedUntilTheLaggardCatchesUpAsync(host, host.Laggard);
}

public sealed class BacklogLimitTests(HostWithTinyBacklogLimit host) : IClassFixture<HostWithTinyBacklogLimit>
{
    [Fact]
    public Task Over_the_backlog_limit_exporters_get_429_with_Retry_After_until_the_backlog_drains() =>
        RefusedUntilTheLaggardCatchesUpAsync(host, host.Laggard);

    internal static async Task RefusedUntilTheLaggardCatchesUpAsync(HostProcess host, string laggard)
    {
        // A consumer that never fetches stands for a Writer that has fallen behind.
        await using var nats = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = host.NatsUrl });
        var js = new NATS.Client.JetStream.NatsJSContext(nats);
        await js.CreateOrUpdateConsumerAsync(HoneyHive.Contracts.Streams.Events, new NATS.Client.JetStream.Models.ConsumerConfig(laggard)
        {
            FilterSubject = HoneyHive.Contracts.Topics.EventsIngested,
            DeliverPolicy = NATS.Client.JetStream.Models.ConsumerConfigDeliverPolicy.New,
            AckPolicy = NATS.Client.JetStream.Models.ConsumerConfigAckPolicy.Explicit,
        });
        using var client = host.Client(host.OtlpHttp, host.ApiKey, retryBackpressure: false);
        var refusedWith429 = false;
        TimeSpan? retryAfter = null;
        var accepted = false;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !refusedWith429)
            {
                using var response = await OtlpIngestionTests.PostProtobufAsync(client, OtlpIngestionTests.Request(Guid.NewGuid().ToByteArray(), "pile-up").ToByteArray());
                refusedWith429 = response.StatusCode == HttpStatusCode.TooManyRequests;
                retryAfter = response.Headers.RetryAfter?.Delta;
                await Task.Delay(100);
            }

            // The laggard catches up: it takes and acknowledges what waits for it, as a Writer that recovered would.
            var consumer = await js.GetConsumerAsync(HoneyHive.Contracts.Streams.Events, laggard);
            var until = DateTime.UtcNow.AddSeconds(30);
            while (refusedWith429 && DateTime.UtcNow < until && !accepted)
            {
                await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NATS.Client.JetStream.NatsJSFetchOpts { MaxMsgs = 1000 }))
                {
                    await message.AckAsync();
                }
                await Task.Delay(250);
                using var after = await OtlpIngestionTests.PostProtobufAsync(client, OtlpIngestionTests.Request(Guid.NewGuid().ToByteArray(), "drained").ToByteArray());
                accepted = after.StatusCode == HttpStatusCode.OK;
            }
        }
        finally
        {
            await js.DeleteConsumerAsync(HoneyHive.Contracts.Streams.Events, laggard);
        }

        Assert.True(refusedWith429);
        Assert.True(retryAfter > TimeSpan.Zero);
        Assert.True(accepted);
    }
}

public sealed class BackpressureTests(HostWithPrivateNats host) : IClassFixture<HostWithPrivateNats>
{
    [Fact]
    public async Task With_the_message_log_down_exporters_get_503_with_Retry_After_and_the_refused_event_is_stored_once_it_is_back()
    {
        var first = OtlpIngestionTests.Request(Guid.NewGuid().ToByteArray(), "before-outage").ToByteArray();
        var refused = OtlpIngestionTests.Request(Guid.NewGuid().ToByteArray(), "during-outage");
        var request = refused.ToByteArray();
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using (var before = await OtlpIngestionTests.PostProtobufAsync(client, first))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await host.Nats.StopAsync();
        using (var during = await OtlpIngestionTests.PostProtobufAsync(client, request))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.NotNull(during.Headers.RetryAfter?.Delta);
            var status = Google.Rpc.Status.Parser.ParseFrom(await during.Content.ReadAsByteArrayAsync());
            Assert.Contains(status.Details, d => d.Is(Google.Rpc.RetryInfo.Descriptor));
        }
        using var channel = GrpcChannel.ForAddress(host.OtlpGrpc);
        var grpc = new TraceService.TraceServiceClient(channel);
        var unavailable = await Assert.ThrowsAsync<RpcException>(async () => await grpc.ExportAsync(
            ExportTraceServiceRequest.Parser.ParseFrom(request), new Metadata { { "authorization", "Bearer " + host.ApiKey } }));
        Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);

        await host.Nats.StartAgainAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var status200 = HttpStatusCode.ServiceUnavailable;
        while (DateTime.UtcNow < deadline && status200 != HttpStatusCode.OK)
        {
            await Task.Delay(500);
            using var after = await OtlpIngestionTests.PostProtobufAsync(client, request);
            status200 = after.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status200);

        // The request refused with 503 and sent again is stored, once: the Writer consumes again too.
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        var stored = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, OtlpIngestionTests.TraceIdOf(refused)),
            found => found.Count > 0, "the event refused during the outage to be stored");
        Assert.Equal("during-outage", Assert.Single(stored)["event_name"]!.GetValue<string>());
    }
}
