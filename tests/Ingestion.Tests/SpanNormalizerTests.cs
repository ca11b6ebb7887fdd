using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.Ingestion.Tests;

[Trait("Servers", "None")]
public sealed class SpanNormalizerTests
{
    private static readonly Tenant Tenant = new("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333");

    /// <summary>The span's event as published: written as JSON, then read back as the Writer's contract type.</summary>
    private static EventRecord Normalize(Span span, IngestLimits? limits = null)
    {
        var result = SpanNormalizer.Normalize(null, null, span, Tenant, limits ?? new IngestLimits());
        Assert.Null(result.Rejection);
        using var batch = new EventJsonBatch();
        using var record = result.Event!;
        batch.Add(record);
        return JsonSerializer.Deserialize<EventRecord>(batch[0])!;
    }

    [Fact]
    public void GenAi_1_37_chat_span_with_structured_messages_and_a_tool_call()
    {
        var record = Normalize(Spans.Create("chat gpt-4o",
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.request.temperature", 0.2),
            ("gen_ai.request.max_tokens", 512),
            ("gen_ai.system_instructions", """[{"type":"text","content":"You are terse."}]"""),
            ("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]"""),
            ("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_call"}]"""),
            ("gen_ai.usage.input_tokens", 31),
            ("gen_ai.usage.output_tokens", 12),
            ("gen_ai.response.id", "chatcmpl-123"),
            ("gen_ai.response.finish_reasons", new[] { "tool_call" })));

        Assert.Equal("model", record.EventType);
        Assert.Equal("gpt-4o", record.Config["model"]!.GetValue<string>());
        Assert.Equal("openai", record.Config["provider"]!.GetValue<string>());
        Assert.Equal("chat", record.Config["type"]!.GetValue<string>());
        Assert.Equal(0.2, record.Config["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal(512, record.Config["hyperparameters"]!["max_tokens"]!.GetValue<long>());
        var history = record.Inputs["chat_history"]!.AsArray();
        Assert.Equal("system", history[0]!["role"]!.GetValue<string>());
        Assert.Equal("You are terse.", history[0]!["content"]!.GetValue<string>());
        Assert.Equal("Weather in Paris?", history[1]!["content"]!.GetValue<string>());
        Assert.Equal("assistant", record.Outputs["role"]!.GetValue<string>());
        Assert.Equal("get_weather", record.Outputs["tool_calls"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal(31d, record.Metadata["prompt_tokens"]!.GetValue<double>());
        Assert.Equal(12d, record.Metadata["completion_tokens"]!.GetValue<double>());
        Assert.Equal(43d, record.Metadata["total_tokens"]!.GetValue<double>());
        Assert.Equal("chatcmpl-123", record.Metadata["response_id"]!.GetValue<string>());
        Assert.Equal(1500, record.Duration);
        Assert.Equal(1_700_000_000_000, record.StartTime);
    }

    [Fact]
    public void GenAi_1_36_names_with_gen_ai_system_and_prompt_tokens()
    {
        var record = Normalize(Spans.Create("openai.chat",
            ("gen_ai.system", "openai"),
            ("gen_ai.request.model", "gpt-3.5-turbo"),
            ("gen_ai.usage.prompt_tokens", 10),
            ("gen_ai.usage.completion_tokens", 5)));

        Assert.Equal("model", record.EventType);
        Assert.Equal("openai", record.Config["provider"]!.GetValue<string>());
        Assert.Equal(15d, record.Metadata["total_tokens"]!.GetValue<double>());
        Assert.False(record.Metadata.ContainsKey("gen_ai.usage.prompt_tokens"));
    }

    [Fact]
    public void GenAi_execute_tool_span_maps_arguments_and_result()
    {
        var record = Normalize(Spans.Create("execute_tool get_weather",
            ("gen_ai.operation.name", "execute_tool"),
            ("gen_ai.tool.name", "get_weather"),
            ("gen_ai.tool.call.id", "call_1"),
            ("gen_ai.tool.call.arguments", """{"city":"Paris"}"""),
            ("gen_ai.tool.call.result", """{"temperature_c":21}""")));

        Assert.Equal("tool", record.EventType);
        Assert.Equal("get_weather", record.Config["tool_name"]!.GetValue<string>());
        Assert.Equal("Paris", record.Inputs["city"]!.GetValue<string>());
        Assert.Equal(21, record.Outputs["temperature_c"]!.GetValue<int>());
        Assert.Equal("call_1", record.Metadata["tool_call_id"]!.GetValue<string>());
    }

    [Fact]
    public void Traceloop_indexed_prompts_completions_entities_and_association_properties()
    {
        var record = Normalize(Spans.Create("openai.chat",
            ("llm.request.type", "chat"),
            ("gen_ai.system", "OpenAI"),
            ("gen_ai.request.model", "gpt-4"),
            ("gen_ai.prompt.0.role", "system"),
            ("gen_ai.prompt.0.content", "Be brief."),
            ("gen_ai.prompt.1.role", "user"),
            ("gen_ai.prompt.1.content", "Hi"),
            ("gen_ai.completion.0.role", "assistant"),
            ("gen_ai.completion.0.content", "Hello!"),
            ("gen_ai.completion.0.finish_reason", "stop"),
            ("traceloop.association.properties.session_id", "conversation-42"),
            ("traceloop.association.properties.run_id", "run-7"),
            ("traceloop.association.properties.customer", "acme"),
            ("traceloop.association.properties.source", "staging")));

        Assert.Equal("model", record.EventType);
        var history = record.Inputs["chat_history"]!.AsArray();
        Assert.Equal(2, history.Count);
        Assert.Equal("Be brief.", history[0]!["content"]!.GetValue<string>());
        Assert.Equal("user", history[1]!["role"]!.GetValue<string>());
        Assert.Equal("Hello!", record.Outputs["content"]!.GetValue<string>());
        Assert.Equal("stop", record.Outputs["finish_reason"]!.GetValue<string>());
        Assert.True(Guid.TryParse(record.SessionId, out _));
        Assert.Equal(record.SessionId, Normalize(Spans.Create("other", ("traceloop.association.properties.session_id", "conversation-42"))).SessionId);
        Assert.Equal("run-7", record.Metadata["run_id"]!.GetValue<string>());
        Assert.Equal("acme", record.Metadata["customer"]!.GetValue<string>());
        Assert.Equal("staging", record.Source);
        Assert.Equal("chat", record.Metadata["llm.request.type"]!.GetValue<string>());
    }

    [Fact]
    public void Traceloop_workflow_span_is_a_chain_with_entity_input_and_output()
    {
        var record = Normalize(Spans.Create("joke_workflow.workflow",
            ("traceloop.span.kind", "workflow"),
            ("traceloop.entity.name", "joke_workflow"),
            ("traceloop.entity.input", """{"inputs":{"topic":"cats"}}"""),
            ("traceloop.entity.output", """{"joke":"..."}""")));

        Assert.Equal("chain", record.EventType);
        Assert.Equal("cats", record.Inputs["topic"]!.GetValue<string>());
        Assert.Equal("...", record.Outputs["joke"]!.GetValue<string>());
    }

    [Fact]
    public void OpenInference_llm_span_with_messages_tokens_and_invocation_parameters()
    {
        var record = Normalize(Spans.Create("ChatCompletion",
            ("openinference.span.kind", "LLM"),
            ("llm.model_name", "claude-3-5-sonnet"),
            ("llm.provider", "anthropic"),
            ("llm.invocation_parameters", """{"temperature":0.5,"max_tokens":100}"""),
            ("llm.input_messages.0.message.role", "user"),
            ("llm.input_messages.0.message.content", "Summarize this."),
            ("llm.output_messages.0.message.role", "assistant"),
            ("llm.output_messages.0.message.content", "A summary."),
            ("llm.token_count.prompt", 20),
            ("llm.token_count.completion", 4),
            ("llm.token_count.total", 24),
            ("input.value", """{"document":"..."}"""),
            ("input.mime_type", "application/json"),
            ("session.id", "8b0c7c4e-6a53-4c8e-9b1c-5c2d5f6a7b8c"),
            ("user.id", "user-9"),
            ("metadata", """{"tenant":"blue"}""")));

        Assert.Equal("model", record.EventType);
        Assert.Equal("claude-3-5-sonnet", record.Config["model"]!.GetValue<string>());
        Assert.Equal(0.5, record.Config["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal("Summarize this.", record.Inputs["chat_history"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("...", record.Inputs["document"]!.GetValue<string>());
        Assert.Equal("A summary.", record.Outputs["content"]!.GetValue<string>());
        Assert.Equal(24d, record.Metadata["total_tokens"]!.GetValue<double>());
        Assert.Equal("8b0c7c4e-6a53-4c8e-9b1c-5c2d5f6a7b8c", record.SessionId);
        Assert.Equal("user-9", record.UserProperties["user_id"]!.GetValue<string>());
        Assert.Equal("blue", record.Metadata["tenant"]!.GetValue<string>());
        Assert.Equal("LLM", record.Metadata["span_kind"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("RETRIEVER", "tool")]
    [InlineData("AGENT", "chain")]
    [InlineData("CHAIN", "chain")]
    [InlineData("EMBEDDING", "tool")]
    public void OpenInference_span_kinds_map_to_event_types(string kind, string expected) =>
        Assert.Equal(expected, Normalize(Spans.Create("step", ("openinference.span.kind", kind))).EventType);

    [Fact]
    public void HoneyHive_attributes_win_and_fill_their_buckets()
    {
        var record = Normalize(Spans.Create("my_function",
            ("gen_ai.operation.name", "chat"),
            ("honeyhive_event_type", "chain"),
            ("honeyhive_inputs._params_.query", "what is otel"),
            ("honeyhive_outputs.result", "a standard"),
            ("honeyhive_metadata.stage.name", "retrieval"),
            ("honeyhive_metadata.tags.0", "a"),
            ("honeyhive_metadata.tags.1", "b"),
            ("honeyhive_metrics.relevance", 0.9),
            ("honeyhive_feedback.rating", 4),
            ("honeyhive_user_properties.plan", "pro"),
            ("honeyhive_error", "boom"),
            ("honeyhive.session_id", "6e4b8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
            ("honeyhive.session_auto_create", true),
            ("honeyhive.source", "dev")));

        Assert.Equal("chain", record.EventType);
        Assert.Equal("what is otel", record.Inputs["query"]!.GetValue<string>());
        Assert.Equal("a standard", record.Outputs["result"]!.GetValue<string>());
        Assert.Equal("retrieval", record.Metadata["stage"]!["name"]!.GetValue<string>());
        Assert.Equal(["a", "b"], record.Metadata["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(0.9, record.Metrics["relevance"]!.GetValue<double>());
        Assert.Equal(4, record.Feedback["rating"]!.GetValue<long>());
        Assert.Equal("pro", record.UserProperties["plan"]!.GetValue<string>());
        Assert.Equal("boom", record.Error);
        Assert.Equal("6e4b8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", record.SessionId);
        Assert.True(record.SessionAutoCreate);
        Assert.Equal("dev", record.Source);
    }

    [Fact]
    public void Ids_are_deterministic_and_a_parent_span_maps_to_its_event_id()
    {
        var child = Normalize(Spans.Create("child"));
        var again = Normalize(Spans.Create("child"));
        var parentSpan = Spans.Create("parent");
        parentSpan.SpanId = Google.Protobuf.ByteString.CopyFrom(Spans.ParentSpanId);
        parentSpan.ParentSpanId = Google.Protobuf.ByteString.Empty;
        var parent = Normalize(parentSpan);

        Assert.Equal(child.EventId, again.EventId);
        Assert.Equal(parent.EventId, child.ParentId);
        Assert.Equal(new Guid(Spans.TraceId, bigEndian: true).ToString(), child.SessionId);
        Assert.Equal(child.SessionId, parent.ParentId);
        Assert.Equal("otlp", child.Source);
        Assert.Equal("tool", child.EventType);
        Assert.Equal("5b8efff798038103d269b633813fc60c", child.Metadata["trace_id"]!.GetValue<string>());
    }

    [Fact]
    public void Unknown_attributes_land_in_metadata_and_errors_come_from_the_status()
    {
        var span = Spans.Create("db.query", ("db.system", "postgresql"), ("http.status_code", 500));
        span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "connection reset" };

        var record = Normalize(span);

        Assert.Equal("postgresql", record.Metadata["db.system"]!.GetValue<string>());
        Assert.Equal(500, record.Metadata["http.status_code"]!.GetValue<long>());
        Assert.Equal("connection reset", record.Error);
    }

    [Fact]
    public void Hostile_keys_long_values_too_many_attributes_and_deep_nesting_are_contained_and_flagged()
    {
        var deep = new AnyValue { StringValue = "bottom" };
        for (var i = 0; i < 40; i++) deep = new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "n", Value = deep } } } };
        var attributes = new List<(string, object)>
        {
            ("__proto__", "polluted"),
            ("constructor", "x"),
            (new string('k', 1000), "long key"),
            ("big", new string('v', 5000)),
            ("deep", deep),
            ("dup", "first"),
            ("dup", "second"),
        };
        attributes.AddRange(Enumerable.Range(0, 50).Select(i => ($"extra.{i}", (object)i)));
        var limits = new IngestLimits { MaxValueLength = 1000, MaxKeyLength = 100, MaxDepth = 8, MaxAttributesPerSpan = 20 };

        var record = Normalize(Spans.Create("hostile", attributes.ToArray()), limits);

        Assert.Equal("polluted", record.Metadata["___proto__"]!.GetValue<string>());
        Assert.False(record.Metadata.ContainsKey("__proto__"));
        Assert.Equal("x", record.Metadata["_constructor"]!.GetValue<string>());
        Assert.Equal(1000, record.Metadata["big"]!.GetValue<string>().Length);
        Assert.Equal("second", record.Metadata["dup"]!.GetValue<string>());
        Assert.True(record.Metadata["truncated"]!.GetValue<bool>());
        Assert.Contains("big", record.Metadata["truncated_attributes"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.True(record.Metadata["dropped_attributes_count"]!.GetValue<int>() > 0);
        Assert.All(record.Metadata.Select(p => p.Key), key => Assert.True(key.Length <= 100));
        Assert.True(Depth(record.Metadata["deep"]) <= 9);
    }

    [Theory]
    [InlineData("", "eee19b7ec3c1b174")]
    [InlineData("00000000000000000000000000000000", "eee19b7ec3c1b174")]
    [InlineData("5b8efff798038103d269b633813fc60c", "0000000000000000")]
    [InlineData("5b8efff798038103d269b633813fc60c", "eee19b")]
    public void Spans_with_invalid_ids_are_rejected_with_a_reason(string traceId, string spanId)
    {
        var span = Spans.Create("bad");
        span.TraceId = Google.Protobuf.ByteString.CopyFrom(Convert.FromHexString(traceId));
        span.SpanId = Google.Protobuf.ByteString.CopyFrom(Convert.FromHexString(spanId));

        var result = SpanNormalizer.Normalize(null, null, span, Tenant, new IngestLimits());

        Assert.Null(result.Event);
        Assert.Contains("span 'bad'", result.Rejection, StringComparison.Ordinal);
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject obj => 1 + obj.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray array => 1 + array.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };
}
