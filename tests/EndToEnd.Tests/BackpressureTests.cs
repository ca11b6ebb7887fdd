using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using HoneyHive.Platform.Tests.Messaging;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>A Host on a NATS server of its own, so the test can stop the message log under it.</summary>
public sealed class HostWithPrivateNats : HostProcess
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

public sealed class BackpressureTests(HostWithPrivateNats host) : IClassFixture<HostWithPrivateNats>
{
    [Fact]
    public async Task With_the_message_log_down_exporters_get_503_with_Retry_After_and_data_flows_again_when_it_is_back()
    {
        var request = OtlpIngestionTests.Request(Guid.NewGuid().ToByteArray(), "during-outage").ToByteArray();
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using (var before = await OtlpIngestionTests.PostProtobufAsync(client, request))
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
    }
}
