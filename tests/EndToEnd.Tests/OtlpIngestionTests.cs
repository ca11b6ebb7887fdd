using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>OTLP exactly as real exporters speak it, against the running single node.</summary>
public sealed class OtlpIngestionTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task The_OpenTelemetry_dotnet_exporter_delivers_spans_that_reach_the_stream_mapped(OtlpExportProtocol protocol)
    {
        using var source = new ActivitySource("e2e-" + protocol);
        string traceId;
        using (var provider = Sdk.CreateTracerProviderBuilder()
                   .AddSource(source.Name)
                   .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("e2e-chatbot"))
                   .AddOtlpExporter(o =>
                   {
                       o.Protocol = protocol;
                       o.Endpoint = protocol == OtlpExportProtocol.Grpc ? host.OtlpGrpc : new Uri(host.OtlpHttp, "/v1/traces");
                       o.Headers = $"Authorization=Bearer {host.ApiKey}";
                       o.ExportProcessorType = ExportProcessorType.Simple;
                   })
                   .Build())
        {
            using (var root = source.StartActivity("answer_question"))
            {
                traceId = root!.TraceId.ToHexString();
                root.SetTag("honeyhive_event_type", "chain");
                root.SetTag("honeyhive_inputs._params_.question", "Capital of France?");
                using var llm = source.StartActivity("chat gpt-4o", ActivityKind.Client);
                llm!.SetTag("gen_ai.operation.name", "chat");
                llm.SetTag("gen_ai.provider.name", "openai");
                llm.SetTag("gen_ai.request.model", "gpt-4o");
                llm.SetTag("gen_ai.usage.input_tokens", 12);
                llm.SetTag("gen_ai.usage.output_tokens", 3);
                llm.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Paris"}]}]""");
            }
            Assert.True(provider.ForceFlush(30_000));
        }

        var events = await PublishedEvents.WaitForAsync(host.NatsUrl, e => TraceOf(e) == traceId, expected: 2);

        Assert.Equal(2, events.Count);
        var chain = events.Single(e => e.Event["event_type"]!.GetValue<string>() == "chain").Event;
        var model = events.Single(e => e.Event["event_type"]!.GetValue<string>() == "model").Event;
        Assert.Equal(host.ProjectId, model["project_id"]!.GetValue<string>());
        Assert.Equal("Capital of France?", chain["inputs"]!["question"]!.GetValue<string>());
        Assert.Equal("gpt-4o", model["config"]!["model"]!.GetValue<string>());
        Assert.Equal("Paris", model["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal(15, model["metadata"]!["total_tokens"]!.GetValue<double>());
        Assert.Equal(chain["event_id"]!.GetValue<string>(), model["parent_id"]!.GetValue<string>());
        Assert.Equal(chain["session_id"]!.GetValue<string>(), model["session_id"]!.GetValue<string>());
        Assert.Equal("e2e-chatbot", model["metadata"]!["resource"]!["service.name"]!.GetValue<string>());
    }

    [Fact]
    public async Task OTLP_JSON_from_the_specification_is_accepted_and_answered_in_JSON()
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var body = $$"""
        {
          "resourceSpans": [{
            "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "my.service" } }] },
            "scopeSpans": [{
              "scope": { "name": "my.library", "version": "1.0.0", "attributes": [] },
              "spans": [{
                "traceId": "{{traceId}}",
                "spanId": "eee19b7ec3c1b174",
                "parentSpanId": "eee19b7ec3c1b173",
                "name": "I'm a server span",
                "startTimeUnixNano": "1544712660000000000",
                "endTimeUnixNano": "1544712661000000000",
                "kind": 2,
                "attributes": [
                  { "key": "my.span.attr", "value": { "stringValue": "some value" } },
                  { "key": "gen_ai.usage.input_tokens", "value": { "intValue": "7" } }
                ]
              }]
            }]
          }]
        }
        """;
        using var client = host.Client(host.OtlpHttp, host.ApiKey);

        using var response = await client.PostAsync(new Uri("/v1/traces", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var events = await PublishedEvents.WaitForAsync(host.NatsUrl, e => TraceOf(e) == traceId, expected: 1);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{ }", (await response.Content.ReadAsStringAsync()).Trim());
        var published = Assert.Single(events).Event;
        Assert.Equal("some value", published["metadata"]!["my.span.attr"]!.GetValue<string>());
        Assert.Equal(1000, published["duration"]!.GetValue<double>());
        Assert.Equal(7, published["metadata"]!["prompt_tokens"]!.GetValue<double>());
    }

    [Fact]
    public async Task The_same_request_sent_twice_is_stored_once()
    {
        // An attribute named for this test alone: the field catalogue counts every row stored with it,
        // so a second copy shows there even though reads collapse the revisions of one event.
        var field = "retried_" + Guid.NewGuid().ToString("N")[..12];
        var request = Request(Guid.NewGuid().ToByteArray(), "retried");
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes.Add(new KeyValue { Key = field, Value = new AnyValue { StringValue = "once" } });
        var traceId = Convert.ToHexStringLower(request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span);
        var later = Request(Guid.NewGuid().ToByteArray(), "sent-after");
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);

        using var first = await PostProtobufAsync(client, request.ToByteArray());
        using var second = await PostProtobufAsync(client, request.ToByteArray());
        using var third = await PostProtobufAsync(client, later.ToByteArray());
        // The Writer takes the stream in order: once the later request is stored, both copies were handled.
        await Eventually.ValueAsync(() => StoredAsync(api, TraceIdOf(later)), found => found.Count == 1, "the later request to be stored");
        var stored = await StoredAsync(api, traceId);
        using var schema = await api.GetAsync(new Uri("/v1/events/schema", UriKind.Relative));
        var fields = JsonNode.Parse(await schema.Content.ReadAsStringAsync())!["fields"]!.AsArray();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal("retried", Assert.Single(stored)["event_name"]!.GetValue<string>());
        var catalogued = Assert.Single(fields, f => f!["name"]!.GetValue<string>() == "metadata." + field);
        Assert.Equal(1, catalogued!["occurrences"]!.GetValue<long>());
    }

    /// <summary>The events the DP API returns for a trace (OTLP spans keep their trace id in metadata).</summary>
    internal static async Task<List<JsonObject>> StoredAsync(HttpClient api, string traceId)
    {
        using var search = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new
        {
            filters = new[] { new { field = "metadata.trace_id", @operator = "is", value = traceId, type = "string" } },
            // The spans of these tests start in November 2023 (fixed times their assertions read), before the
            // search's default window of the last 7 days: ask for the whole range.
            dateRange = new { start_time = 0 },
            limit = 100,
        });
        var body = await search.Content.ReadAsStringAsync();
        Assert.True(search.StatusCode == HttpStatusCode.OK, $"search answered {(int)search.StatusCode}: {body}");
        return JsonNode.Parse(body)!["events"]!.AsArray().OfType<JsonObject>().ToList();
    }

    internal static string TraceIdOf(ExportTraceServiceRequest request) =>
        Convert.ToHexStringLower(request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span);

    [Fact]
    public async Task Spans_with_invalid_ids_are_reported_in_partial_success_and_the_rest_are_accepted()
    {
        var request = Request(Guid.NewGuid().ToByteArray(), "good");
        var bad = request.ResourceSpans[0].ScopeSpans[0].Spans[0].Clone();
        bad.SpanId = ByteString.CopyFrom(new byte[8]);
        request.ResourceSpans[0].ScopeSpans[0].Spans.Add(bad);
        using var client = host.Client(host.OtlpHttp, host.ApiKey);

        using var response = await PostProtobufAsync(client, request.ToByteArray());
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, answer.PartialSuccess.RejectedSpans);
        Assert.Contains("span_id", answer.PartialSuccess.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gzip_bodies_are_accepted()
    {
        var request = Request(Guid.NewGuid().ToByteArray(), "zipped");
        var traceId = Convert.ToHexStringLower(request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span);
        using var client = host.Client(host.OtlpHttp, host.ApiKey);

        using var response = await PostProtobufAsync(client, Gzip(request.ToByteArray()), gzip: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await PublishedEvents.WaitForAsync(host.NatsUrl, e => TraceOf(e) == traceId, expected: 1));
    }

    [Fact]
    public async Task Each_bad_request_gets_its_status_with_a_google_rpc_status_body_and_the_service_stays_up()
    {
        var valid = Request(Guid.NewGuid().ToByteArray(), "x").ToByteArray();
        using var authorized = host.Client(host.OtlpHttp, host.ApiKey);
        using var anonymous = host.Client(host.OtlpHttp);
        using var wrongKey = host.Client(host.OtlpHttp, "hh_wrong-key-000000000000000000000000");

        await ExpectStatusAsync(await PostProtobufAsync(anonymous, valid), HttpStatusCode.Unauthorized);
        await ExpectStatusAsync(await PostProtobufAsync(wrongKey, valid), HttpStatusCode.Unauthorized);
        await ExpectStatusAsync(await PostProtobufAsync(authorized, [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]), HttpStatusCode.BadRequest);
        await ExpectStatusAsync(await PostProtobufAsync(authorized, Gzip(valid)[..20], gzip: true), HttpStatusCode.BadRequest);
        await ExpectStatusAsync(await PostProtobufAsync(authorized, Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 4096)), HttpStatusCode.BadRequest);
        // As exporters do for large bodies: wait for 100-continue, so the server can refuse before the upload.
        authorized.DefaultRequestHeaders.ExpectContinue = true;
        await ExpectStatusAsync(await PostProtobufAsync(authorized, new byte[17 * 1024 * 1024]), HttpStatusCode.RequestEntityTooLarge);
        authorized.DefaultRequestHeaders.ExpectContinue = false;
        using (var textPlain = await authorized.PostAsync(new Uri("/v1/traces", UriKind.Relative), new StringContent("hello", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, textPlain.StatusCode);
        }
        using (var badJson = await authorized.PostAsync(new Uri("/v1/traces", UriKind.Relative), new StringContent("{\"resourceSpans\": [", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
            Assert.Equal("application/json", badJson.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(JsonNode.Parse(await badJson.Content.ReadAsStringAsync())!["message"]);
        }

        using var stillUp = await PostProtobufAsync(authorized, valid);
        Assert.Equal(HttpStatusCode.OK, stillUp.StatusCode);
    }

    [Fact]
    public async Task Invalid_UTF8_is_a_400_naming_it_in_protobuf_and_replaced_by_U_FFFD_in_JSON()
    {
        // A KeyValue {key:"k", value:{string_value: 61 C3 28 FF 62}} appended to a valid span by hand.
        var request = Request(Guid.NewGuid().ToByteArray(), "utf8");
        var span = request.ResourceSpans[0].ScopeSpans[0].Spans[0].ToByteArray();
        byte[] badValue = [0x0A, 0x05, 0x61, 0xC3, 0x28, 0xFF, 0x62];
        byte[] keyValue = [0x0A, 0x01, (byte)'k', 0x12, (byte)badValue.Length, .. badValue];
        byte[] spanWithBadAttribute = [.. span, 0x4A, (byte)keyValue.Length, .. keyValue];
        byte[] scopeSpans = [0x12, .. Varint(spanWithBadAttribute.Length), .. spanWithBadAttribute];
        byte[] resourceSpans = [0x12, .. Varint(scopeSpans.Length), .. scopeSpans];
        byte[] body = [0x0A, .. Varint(resourceSpans.Length), .. resourceSpans];
        using var client = host.Client(host.OtlpHttp, host.ApiKey);

        using var protobuf = await PostProtobufAsync(client, body);
        var status = Google.Rpc.Status.Parser.ParseFrom(await protobuf.Content.ReadAsByteArrayAsync());
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var json = new ByteArrayContent([.. Encoding.UTF8.GetBytes($"{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{\"traceId\":\"{traceId}\",\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"bad"), 0xC3, 0x28, .. "\"}]}]}]}"u8.ToArray()]);
        json.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var jsonAnswer = await client.PostAsync(new Uri("/v1/traces", UriKind.Relative), json);

        Assert.True(protobuf.StatusCode == HttpStatusCode.BadRequest, $"protobuf answered {(int)protobuf.StatusCode}");
        Assert.Contains("UTF-8", status.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, jsonAnswer.StatusCode);
        var published = Assert.Single(await PublishedEvents.WaitForAsync(host.NatsUrl, e => TraceOf(e) == traceId, expected: 1)).Event;
        Assert.Equal("bad\uFFFD(", published["event_name"]!.GetValue<string>());
        using var stillUp = await PostProtobufAsync(client, Request(Guid.NewGuid().ToByteArray(), "after").ToByteArray());
        Assert.Equal(HttpStatusCode.OK, stillUp.StatusCode);
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        var v = (uint)value;
        while (v >= 0x80) { bytes.Add((byte)(v | 0x80)); v >>= 7; }
        bytes.Add((byte)v);
        return [.. bytes];
    }

    [Fact]
    public async Task Grpc_refuses_a_missing_or_wrong_key_with_unauthenticated()
    {
        using var channel = GrpcChannel.ForAddress(host.OtlpGrpc);
        var client = new TraceService.TraceServiceClient(channel);
        var request = Request(Guid.NewGuid().ToByteArray(), "grpc");

        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.ExportAsync(request));
        var wrong = await Assert.ThrowsAsync<RpcException>(async () => await client.ExportAsync(request,
            new Metadata { { "authorization", "Bearer hh_wrong-000000000000000000000000000" } }));
        var ok = await client.ExportAsync(request, new Metadata { { "authorization", "Bearer " + host.ApiKey } });

        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Null(ok.PartialSuccess);
    }

    internal static ExportTraceServiceRequest Request(byte[] traceId, string name) => new()
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                ScopeSpans =
                {
                    new ScopeSpans
                    {
                        Spans =
                        {
                            new Span
                            {
                                TraceId = ByteString.CopyFrom(traceId),
                                SpanId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()[..8]),
                                Name = name,
                                StartTimeUnixNano = 1_700_000_000_000_000_000,
                                EndTimeUnixNano = 1_700_000_000_100_000_000,
                                Attributes = { new KeyValue { Key = "gen_ai.request.model", Value = new AnyValue { StringValue = "gpt-4o" } } },
                            },
                        },
                    },
                },
            },
        },
    };

    internal static async Task<HttpResponseMessage> PostProtobufAsync(HttpClient client, byte[] body, bool gzip = false)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (gzip) content.Headers.ContentEncoding.Add("gzip");
        return await client.PostAsync(new Uri("/v1/traces", UriKind.Relative), content);
    }

    private static async Task ExpectStatusAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
            var status = Google.Rpc.Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
            Assert.False(string.IsNullOrEmpty(status.Message));
        }
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    private static string? TraceOf(JsonObject e) => e["metadata"]?["trace_id"]?.GetValue<string>();
}
