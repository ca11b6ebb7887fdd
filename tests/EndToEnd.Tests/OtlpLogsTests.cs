using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using LogRecord = OpenTelemetry.Proto.Logs.V1.LogRecord;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>A Host whose Writer gives up waiting for an update's event after seconds rather than minutes.</summary>
public sealed class HostWithShortUpdateWait : HostProcess
{
    public HostWithShortUpdateWait()
    {
        ExtraEnvironment["Writer__UpdateWaitLimit"] = "00:00:15";
        ExtraEnvironment["Writer__UpdateRetryDelay"] = "00:00:00.250";
        ExtraEnvironment["Writer__UpdateMaxRetryDelay"] = "00:00:01";
    }
}

/// <summary>
/// OTLP logs as real exporters send them: GenAI events land in the event of the span they name (in order,
/// once each, whichever arrives first), other records are events of their own, and the endpoint refuses what
/// the trace endpoint refuses.
/// </summary>
public sealed class OtlpLogsTests(HostWithShortUpdateWait host) : IClassFixture<HostWithShortUpdateWait>
{
    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task The_OpenTelemetry_dotnet_log_exporter_puts_GenAI_events_into_their_span_in_order(OtlpExportProtocol protocol)
    {
        using var source = new ActivitySource("e2e-logs-" + protocol);
        string traceId;
        var resource = ResourceBuilder.CreateDefault().AddService("e2e-genai-app");
        using (var tracing = Sdk.CreateTracerProviderBuilder()
                   .AddSource(source.Name)
                   .SetResourceBuilder(resource)
                   .AddOtlpExporter(o => Configure(o, protocol, "/v1/traces"))
                   .Build())
        {
            using (var logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(o =>
                   {
                       o.SetResourceBuilder(resource);
                       o.AddOtlpExporter(e => Configure(e, protocol, "/v1/logs"));
                   })))
            {
                var logger = logging.CreateLogger("openai.instrumentation");
                using var llm = source.StartActivity("chat gpt-4o", ActivityKind.Client)!;
                traceId = llm.TraceId.ToHexString();
                llm.SetTag("gen_ai.operation.name", "chat");
                llm.SetTag("gen_ai.request.model", "gpt-4o");
                // As GenAI instrumentations do: one event per message, named by the conventions, inside the model span.
                // The placeholders are the conventions' field names, lowercase by definition.
#pragma warning disable CA1727
                logger.Log(LogLevel.Information, new EventId(1, "gen_ai.system.message"), "{content}", "Answer briefly.");
                logger.Log(LogLevel.Information, new EventId(2, "gen_ai.user.message"), "{content}", "Weather in Paris?");
                logger.Log(LogLevel.Information, new EventId(3, "gen_ai.assistant.message"), "{tool_calls}",
                    """[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]""");
                logger.Log(LogLevel.Information, new EventId(4, "gen_ai.tool.message"), "{id} {content}", "call_1", "18°C, sunny");
                logger.Log(LogLevel.Information, new EventId(5, "gen_ai.choice"), "{index} {finish_reason} {message}",
                    0, "stop", """{"role":"assistant","content":"18°C and sunny."}""");
#pragma warning restore CA1727
                logger.LogWarning("rate limit at {Percent}%", 80);
            }
            Assert.True(tracing.ForceFlush(30_000));
        }
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);

        var events = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, traceId),
            found => found.Any(e => e["outputs"]?["content"] is not null && e["event_type"]!.GetValue<string>() == "model") && found.Count >= 2,
            "the span with its answer and the plain log line");

        var model = events.Single(e => e["event_type"]!.GetValue<string>() == "model");
        var history = model["inputs"]!["chat_history"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool"], history.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("Answer briefly.", history[0]!["content"]!.GetValue<string>());
        Assert.Equal("Weather in Paris?", history[1]!["content"]!.GetValue<string>());
        var call = history[2]!["tool_calls"]![0]!;
        Assert.Equal("call_1", call["id"]!.GetValue<string>());
        Assert.Equal("get_weather", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"city":"Paris"}""", call["function"]!["arguments"]!.GetValue<string>());
        Assert.Equal("call_1", history[3]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("18°C, sunny", history[3]!["content"]!.GetValue<string>());
        Assert.Equal("18°C and sunny.", model["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal("stop", model["outputs"]!["finish_reason"]!.GetValue<string>());
        // The GenAI events are inside the span, not events of their own; the plain line is one.
        var line = Assert.Single(events, e => e["event_type"]!.GetValue<string>() != "model");
        Assert.Equal("tool", line["event_type"]!.GetValue<string>());
        Assert.Equal(model["event_id"]!.GetValue<string>(), line["parent_id"]!.GetValue<string>());
        Assert.Equal("Warning", line["metadata"]!["severity_text"]!.GetValue<string>());
        Assert.Equal(80, line["metadata"]!["Percent"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_log_sent_before_its_span_in_another_request_is_merged_once_the_span_arrives()
    {
        var (traceId, spanId) = NewIds();
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);

        using var logs = await PostAsync(client, Logs(Record(traceId, spanId, "gen_ai.user.message", 1, ("content", "early question"))).ToByteArray());
        using var span = await OtlpIngestionTests.PostProtobufAsync(client, Span(traceId, spanId).ToByteArray());

        var model = await SpanWithHistoryAsync(api, traceId, 1);
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
        Assert.Equal(HttpStatusCode.OK, span.StatusCode);
        Assert.Equal("early question", model["inputs"]!["chat_history"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("user", model["inputs"]!["chat_history"]![0]!["role"]!.GetValue<string>());
        Assert.Single(await OtlpIngestionTests.StoredAsync(api, Convert.ToHexStringLower(traceId)));
    }

    [Fact]
    public async Task A_retried_log_export_adds_its_messages_once()
    {
        var (traceId, spanId) = NewIds();
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        using (var span = await OtlpIngestionTests.PostProtobufAsync(client, Span(traceId, spanId).ToByteArray())) Assert.Equal(HttpStatusCode.OK, span.StatusCode);
        var first = Record(traceId, spanId, "gen_ai.user.message", 1, ("content", "first"));
        var second = Record(traceId, spanId, "gen_ai.user.message", 2, ("content", "second"));

        // The same request twice, then a retry that carries the first record again with the next one (a re-sent batch).
        foreach (var body in new[] { Logs(first), Logs(first), Logs(first.Clone(), second) })
        {
            using var response = await PostAsync(client, body.ToByteArray());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var model = await SpanWithHistoryAsync(api, traceId, 2);
        Assert.Equal(["first", "second"], model["inputs"]!["chat_history"]!.AsArray().Select(m => m!["content"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_log_for_a_span_that_never_arrives_is_stored_as_its_own_event()
    {
        var (traceId, spanId) = NewIds();
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);

        using var response = await PostAsync(client, Logs(Record(traceId, spanId, "gen_ai.user.message", 1, ("content", "anyone there?"))).ToByteArray());
        // Past ingestion's lag bound (10 s) while the record still waits for its span (15 s here): the wait holds
        // up nothing else, so spans are still accepted rather than refused with 429.
        await Task.Delay(TimeSpan.FromSeconds(12));
        using var meanwhile = await OtlpIngestionTests.PostProtobufAsync(client, Span(Guid.NewGuid().ToByteArray(), Guid.NewGuid().ToByteArray()[..8]).ToByteArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        var events = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, Convert.ToHexStringLower(traceId)), found => found.Count == 1,
            "the record as its own event after the wait limit", TimeSpan.FromSeconds(90));
        var orphan = events[0];
        Assert.Equal("gen_ai.user.message", orphan["event_name"]!.GetValue<string>());
        Assert.Equal("tool", orphan["event_type"]!.GetValue<string>());
        Assert.Equal("anyone there?", orphan["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(spanId), orphan["metadata"]!["span_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Records_without_a_span_and_of_other_names_are_events_of_their_own_and_OTLP_JSON_is_accepted()
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var body = $$"""
        {
          "resourceLogs": [{
            "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "my.service" } }] },
            "scopeLogs": [{
              "scope": { "name": "my.library", "version": "1.0.0" },
              "logRecords": [{
                "timeUnixNano": "1544712660300000000",
                "severityNumber": 17,
                "severityText": "ERROR",
                "traceId": "{{traceId}}",
                "eventName": "checkout.failed",
                "body": { "kvlistValue": { "values": [{ "key": "reason", "value": { "stringValue": "card declined" } }] } },
                "attributes": [{ "key": "order.id", "value": { "intValue": "42" } }]
              }]
            }]
          }]
        }
        """;
        using var client = host.Client(host.OtlpHttp, host.ApiKey);
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);

        using var response = await client.PostAsync(new Uri("/v1/logs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var events = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, traceId), found => found.Count == 1, "the record as an event");
        var stored = events[0];
        Assert.Equal("chain", stored["event_type"]!.GetValue<string>());
        Assert.Equal("checkout.failed", stored["event_name"]!.GetValue<string>());
        Assert.Equal("card declined", stored["outputs"]!["reason"]!.GetValue<string>());
        Assert.Equal("ERROR", stored["metadata"]!["severity_text"]!.GetValue<string>());
        Assert.Equal(17, stored["metadata"]!["severity_number"]!.GetValue<int>());
        Assert.Equal(42, stored["metadata"]!["order.id"]!.GetValue<int>());
        Assert.Equal("my.service", stored["metadata"]!["resource"]!["service.name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Malformed_records_are_reported_in_partial_success_and_the_rest_are_accepted()
    {
        var (traceId, spanId) = NewIds();
        var bad = Record(traceId, spanId, "gen_ai.user.message", 1, ("content", "x"));
        bad.SpanId = ByteString.CopyFrom(new byte[3]);
        var good = Record(traceId, [], "app.started", 2, ("content", "ok"));
        using var client = host.Client(host.OtlpHttp, host.ApiKey);

        using var response = await PostAsync(client, Logs(bad, good).ToByteArray());
        var answer = ExportLogsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, answer.PartialSuccess.RejectedLogRecords);
        Assert.Contains("span_id", answer.PartialSuccess.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_bad_request_gets_its_status_with_a_google_rpc_status_body_as_for_traces()
    {
        var valid = Logs(Record(Guid.NewGuid().ToByteArray(), [], "app.started", 1, ("content", "ok"))).ToByteArray();
        using var authorized = host.Client(host.OtlpHttp, host.ApiKey);
        using var anonymous = host.Client(host.OtlpHttp);

        await ExpectStatusAsync(await PostAsync(anonymous, valid), HttpStatusCode.Unauthorized);
        // Truncated protobuf, a truncated gzip stream, random bytes.
        await ExpectStatusAsync(await PostAsync(authorized, valid[..^3]), HttpStatusCode.BadRequest);
        await ExpectStatusAsync(await PostAsync(authorized, Gzip(valid)[..20], gzip: true), HttpStatusCode.BadRequest);
        await ExpectStatusAsync(await PostAsync(authorized, [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]), HttpStatusCode.BadRequest);
        // 64 MiB of zeros in ~64 KB of gzip: refused once the decompressed bytes pass the limit.
        await ExpectStatusAsync(await PostAsync(authorized, Gzip(new byte[64 * 1024 * 1024]), gzip: true), HttpStatusCode.RequestEntityTooLarge);
        authorized.DefaultRequestHeaders.ExpectContinue = true;
        await ExpectStatusAsync(await PostAsync(authorized, new byte[17 * 1024 * 1024]), HttpStatusCode.RequestEntityTooLarge);
        authorized.DefaultRequestHeaders.ExpectContinue = false;
        using (var textPlain = await authorized.PostAsync(new Uri("/v1/logs", UriKind.Relative), new StringContent("hello", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, textPlain.StatusCode);
        }
        using (var badJson = await authorized.PostAsync(new Uri("/v1/logs", UriKind.Relative), new StringContent("{\"resourceLogs\": [", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
            Assert.Contains("not valid JSON", JsonNode.Parse(await badJson.Content.ReadAsStringAsync())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        using (var badId = await authorized.PostAsync(new Uri("/v1/logs", UriKind.Relative), new StringContent(
                   """{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"not-hex"}]}]}]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        }

        using var stillUp = await PostAsync(authorized, valid);
        Assert.Equal(HttpStatusCode.OK, stillUp.StatusCode);
    }

    [Fact]
    public async Task Grpc_refuses_a_missing_key_with_unauthenticated_and_accepts_a_valid_one()
    {
        using var channel = GrpcChannel.ForAddress(host.OtlpGrpc);
        var client = new LogsService.LogsServiceClient(channel);
        var request = Logs(Record(Guid.NewGuid().ToByteArray(), [], "app.started", 1, ("content", "ok")));

        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.ExportAsync(request));
        var ok = await client.ExportAsync(request, new Metadata { { "authorization", "Bearer " + host.ApiKey } });

        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Null(ok.PartialSuccess);
    }

    private void Configure(OtlpExporterOptions options, OtlpExportProtocol protocol, string path)
    {
        options.Protocol = protocol;
        options.Endpoint = protocol == OtlpExportProtocol.Grpc ? host.OtlpGrpc : new Uri(host.OtlpHttp, path);
        options.Headers = $"Authorization=Bearer {host.ApiKey}";
        options.ExportProcessorType = ExportProcessorType.Simple;
    }

    /// <summary>The span's event once its chat history has <paramref name="messages"/> messages.</summary>
    private static async Task<JsonObject> SpanWithHistoryAsync(HttpClient api, byte[] traceId, int messages)
    {
        var events = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, Convert.ToHexStringLower(traceId)),
            found => found.Any(e => e["inputs"]?["chat_history"] is JsonArray history && history.Count >= messages),
            $"the span with {messages} messages");
        return events.Single(e => e["inputs"]?["chat_history"] is JsonArray);
    }

    private static (byte[] TraceId, byte[] SpanId) NewIds() => (Guid.NewGuid().ToByteArray(), Guid.NewGuid().ToByteArray()[..8]);

    private static OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest Span(byte[] traceId, byte[] spanId)
    {
        var request = OtlpIngestionTests.Request(traceId, "chat gpt-4o");
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].SpanId = ByteString.CopyFrom(spanId);
        return request;
    }

    /// <summary>A log record with a map body, as Python and JS GenAI instrumentations write them.</summary>
    private static LogRecord Record(byte[] traceId, byte[] spanId, string name, ulong time, params (string Key, string Value)[] body)
    {
        var map = new KeyValueList();
        foreach (var (key, value) in body) map.Values.Add(new KeyValue { Key = key, Value = new AnyValue { StringValue = value } });
        return new LogRecord
        {
            TimeUnixNano = 1_700_000_000_000_000_000 + time,
            SeverityNumber = SeverityNumber.Info,
            EventName = name,
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(spanId),
            Body = new AnyValue { KvlistValue = map },
            Attributes = { new KeyValue { Key = "gen_ai.system", Value = new AnyValue { StringValue = "openai" } } },
        };
    }

    private static ExportLogsServiceRequest Logs(params LogRecord[] records) => new()
    {
        ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { records } } } } },
    };

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] body, bool gzip = false)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (gzip) content.Headers.ContentEncoding.Add("gzip");
        return await client.PostAsync(new Uri("/v1/logs", UriKind.Relative), content);
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
}
