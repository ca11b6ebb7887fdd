using Google.Protobuf;
using HoneyHive.Ingestion.Normalization;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;

namespace HoneyHive.Ingestion.Tests;

/// <summary>OTLP log records → GenAI messages for their span, or events of their own.</summary>
[Trait("Servers", "None")]
public sealed class LogNormalizerTests
{
    private static readonly Tenant Tenant = new("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333");
    private static readonly byte[] TraceId = Convert.FromHexString("5b8efff798038103d269b633813fc60c");
    private static readonly byte[] SpanId = Convert.FromHexString("eee19b7ec3c1b174");

    [Fact]
    public void Operation_details_of_1_37_give_system_instructions_and_inputs_in_order_and_outputs_as_choices_by_position()
    {
        var log = Record("gen_ai.client.inference.operation.details",
            ("gen_ai.system_instructions", """[{"type":"text","content":"Be terse."}]"""),
            ("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Weather?"}]},{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"}]}]"""),
            ("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Sunny."}],"finish_reason":"stop"},{"role":"assistant","parts":[{"type":"text","content":"Bright."}],"finish_reason":"length"}]"""));

        var result = LogNormalizer.Normalize(null, null, log, Tenant, new IngestLimits());
        using var record = result.Event!;

        Assert.Equal(EventIds.ForSpan(TraceId, SpanId), result.SpanEventId);
        Assert.Equal([false, false, false, true, true], result.Messages.Select(m => m.IsChoice));
        Assert.Equal(["system", "user", "tool", "assistant", "assistant"], result.Messages.Select(m => EventJson.AsString(m.Message["role"])));
        Assert.Equal("Be terse.", EventJson.AsString(result.Messages[0].Message["content"]));
        Assert.Equal("call_1", EventJson.AsString(result.Messages[2].Message["tool_call_id"]));
        Assert.Equal([0, 1], result.Messages.Where(m => m.IsChoice).Select(m => m.Index!.Value));
        Assert.Equal("length", EventJson.AsString(result.Messages[4].Message["finish_reason"]));
    }

    [Fact]
    public void A_choice_body_gives_its_index_finish_reason_and_tool_calls_with_text_arguments()
    {
        var message = new KeyValueList
        {
            Values =
            {
                Kv("role", "assistant"),
                new KeyValue
                {
                    Key = "tool_calls",
                    Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { KvlistValue = new KeyValueList { Values =
                    {
                        Kv("id", "call_9"), Kv("type", "function"),
                        new KeyValue { Key = "function", Value = new AnyValue { KvlistValue = new KeyValueList { Values =
                        {
                            Kv("name", "lookup"),
                            new KeyValue { Key = "arguments", Value = new AnyValue { KvlistValue = new KeyValueList { Values = { Kv("q", "x") } } } },
                        } } } },
                    } } } } } },
                },
            },
        };
        var log = Record("gen_ai.choice");
        log.Body = new AnyValue { KvlistValue = new KeyValueList { Values =
        {
            new KeyValue { Key = "index", Value = new AnyValue { IntValue = 2 } },
            Kv("finish_reason", "tool_calls"),
            new KeyValue { Key = "message", Value = new AnyValue { KvlistValue = message } },
        } } };

        var result = LogNormalizer.Normalize(null, null, log, Tenant, new IngestLimits());
        using var record = result.Event!;

        var choice = Assert.Single(result.Messages);
        Assert.True(choice.IsChoice);
        Assert.Equal(2, choice.Index);
        Assert.Equal("tool_calls", EventJson.AsString(choice.Message["finish_reason"]));
        var call = EventJson.Items(choice.Message["tool_calls"]).Single();
        Assert.Equal("call_9", EventJson.AsString(EventJson.Get(call, "id")));
        Assert.Equal("""{"q":"x"}""", EventJson.AsString(EventJson.Get(EventJson.Get(call, "function"), "arguments")));
    }

    [Fact]
    public void A_record_without_a_span_is_a_chain_event_of_its_own_and_the_same_record_gets_the_same_id()
    {
        var log = Record("app.started");
        log.SpanId = ByteString.Empty;
        log.TraceId = ByteString.Empty;
        log.Body = new AnyValue { StringValue = "ready" };
        log.SeverityText = "INFO";

        var first = LogNormalizer.Normalize(null, null, log, Tenant, new IngestLimits());
        var again = LogNormalizer.Normalize(null, null, log.Clone(), Tenant, new IngestLimits());
        using var record = first.Event!;
        using var _ = again.Event!;

        Assert.Null(first.SpanEventId);
        Assert.Empty(first.Messages);
        Assert.Equal("chain", record.EventType);
        Assert.Equal("app.started", record.EventName);
        Assert.Equal("ready", EventJson.AsString(record.Outputs["body"]));
        Assert.Equal("INFO", EventJson.AsString(record.Metadata["severity_text"]));
        Assert.True(record.SessionAutoCreate);
        Assert.Equal(record.EventId, again.Event!.EventId);
    }

    [Fact]
    public void Ids_of_the_wrong_length_are_rejected()
    {
        var log = Record("gen_ai.user.message");
        log.TraceId = ByteString.CopyFrom(new byte[5]);

        var result = LogNormalizer.Normalize(null, null, log, Tenant, new IngestLimits());

        Assert.Null(result.Event);
        Assert.Contains("trace_id", result.Rejection, StringComparison.Ordinal);
    }

    private static LogRecord Record(string name, params (string Key, string Value)[] attributes)
    {
        var log = new LogRecord
        {
            TimeUnixNano = 1_700_000_000_000_000_000,
            EventName = name,
            TraceId = ByteString.CopyFrom(TraceId),
            SpanId = ByteString.CopyFrom(SpanId),
        };
        foreach (var (key, value) in attributes) log.Attributes.Add(Kv(key, value));
        return log;
    }

    private static KeyValue Kv(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
}
