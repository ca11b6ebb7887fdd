using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.Bench.Limits;

/// <summary>
/// Realistic OTLP export requests from an instrumented LLM app: GenAI semantic-convention
/// spans of about 1 KB each (model, chat messages as JSON, token counts). Deterministic per seed.
/// Reusable by later commands that send OTLP to the running server.
/// </summary>
public sealed class OtlpSpanFactory(int seed)
{
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4", "llama-3.1-70b-instruct"];
    private static readonly string[] Systems = ["openai", "openai", "anthropic", "aws.bedrock"];
    private static readonly string[] Questions =
    [
        "Summarize the customer's last three support tickets and suggest the next best action for the account team.",
        "Given the retrieved policy documents, can an employee carry over unused vacation days into the next year?",
        "Draft a polite reply declining the meeting request and proposing two alternative slots next week.",
        "Explain why the nightly ETL job failed, using the log excerpt below, and propose a fix.",
    ];
    private static readonly string[] Answers =
    [
        "Based on the tickets, the customer is blocked on SSO configuration; schedule a call with an integration engineer and share the SAML setup guide.",
        "Yes. Up to five unused days may be carried over, provided they are used before the end of March; the rest expire.",
        "Thank you for the invitation. Unfortunately I cannot attend; would Tuesday at 10:00 or Thursday at 15:00 work instead?",
        "The job failed because the upstream table was locked by a long-running migration; retry with a lock timeout and alerting.",
    ];

    private readonly Random _random = new(seed);

    public ExportTraceServiceRequest CreateRequest(int spanCount) => CreateRequest(spanCount, SpanShape.Chat, 0);

    /// <summary>
    /// One trace of <paramref name="spanCount"/> spans in one session. <see cref="SpanShape.Chat"/>: a root
    /// chat span and chat children (the ceilings' ~1 KB spans). <see cref="SpanShape.Agent"/>: an agent
    /// chain as the root, then model calls alternating with the tool calls they asked for, as an
    /// instrumented agent sends them. <paramref name="padChars"/> lengthens each span's prompt text,
    /// to measure larger spans.
    /// </summary>
    public ExportTraceServiceRequest CreateRequest(int spanCount, SpanShape shape, int padChars)
    {
        var traceId = RandomBytes(16);
        var rootSpanId = RandomBytes(8);
        // One session per trace, as an instrumented app sends it.
        var sessionId = Guid.NewGuid().ToString();
        var scopeSpans = new ScopeSpans
        {
            Scope = new InstrumentationScope { Name = "opentelemetry.instrumentation.openai", Version = "0.40.2" },
        };
        var start = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        var padding = padChars > 0 ? " Context: " + new string('x', padChars) : "";
        for (var i = 0; i < spanCount; i++)
        {
            var parent = i == 0 ? ByteString.Empty : rootSpanId;
            var spanId = i == 0 ? rootSpanId : RandomBytes(8);
            var at = start + (ulong)i * 1_000_000UL;
            scopeSpans.Spans.Add((shape, i) switch
            {
                (SpanShape.Agent, 0) => CreateAgentSpan(traceId, spanId, at, sessionId, spanCount),
                (SpanShape.Agent, _) when i % 2 == 0 => CreateToolSpan(traceId, parent, spanId, at, sessionId),
                _ => CreateSpan(traceId, parent, spanId, at, sessionId, padding),
            });
        }

        var resourceSpans = new ResourceSpans
        {
            Resource = new Resource
            {
                Attributes =
                {
                    Str("service.name", "support-assistant"),
                    Str("service.version", "2.3.1"),
                    Str("deployment.environment.name", "production"),
                    Str("telemetry.sdk.language", "python"),
                    Str("telemetry.sdk.name", "opentelemetry"),
                    Str("telemetry.sdk.version", "1.27.0"),
                },
            },
        };
        resourceSpans.ScopeSpans.Add(scopeSpans);
        return new ExportTraceServiceRequest { ResourceSpans = { resourceSpans } };
    }

    private Span CreateAgentSpan(ByteString traceId, ByteString spanId, ulong startNanos, string sessionId, int spanCount) => new()
    {
        TraceId = traceId,
        SpanId = spanId,
        Flags = 1,
        Name = "invoke_agent support-agent",
        Kind = Span.Types.SpanKind.Internal,
        StartTimeUnixNano = startNanos,
        EndTimeUnixNano = startNanos + (ulong)(spanCount + _random.Next(500, 5000)) * 1_000_000UL,
        Status = new Status { Code = Status.Types.StatusCode.Ok },
        Attributes =
        {
            Str("gen_ai.operation.name", "invoke_agent"),
            Str("gen_ai.agent.name", "support-agent"),
            Str("gen_ai.input.messages", JsonSerializer.Serialize(new[] { new { role = "user", content = Questions[_random.Next(Questions.Length)] } })),
            Str("gen_ai.output.messages", JsonSerializer.Serialize(new[] { new { role = "assistant", content = Answers[_random.Next(Answers.Length)] } })),
            Str("honeyhive.session_id", sessionId),
            Str("honeyhive.project", "support-assistant"),
        },
    };

    private Span CreateToolSpan(ByteString traceId, ByteString parentId, ByteString spanId, ulong startNanos, string sessionId) => new()
    {
        TraceId = traceId,
        SpanId = spanId,
        ParentSpanId = parentId,
        Flags = 1,
        Name = "execute_tool search_knowledge_base",
        Kind = Span.Types.SpanKind.Internal,
        StartTimeUnixNano = startNanos,
        EndTimeUnixNano = startNanos + (ulong)_random.Next(20, 900) * 1_000_000UL,
        Status = new Status { Code = Status.Types.StatusCode.Ok },
        Attributes =
        {
            Str("gen_ai.operation.name", "execute_tool"),
            Str("gen_ai.tool.name", "search_knowledge_base"),
            Str("gen_ai.tool.call.id", "call_" + Convert.ToHexString(RandomBytes(8).Span)),
            Str("gen_ai.tool.call.arguments", JsonSerializer.Serialize(new { query = Questions[_random.Next(Questions.Length)], top_k = 5 })),
            Str("gen_ai.tool.call.result", JsonSerializer.Serialize(new { documents = new[] { Answers[_random.Next(Answers.Length)] } })),
            Str("honeyhive.session_id", sessionId),
            Str("honeyhive.project", "support-assistant"),
        },
    };

    private Span CreateSpan(ByteString traceId, ByteString parentId, ByteString spanId, ulong startNanos, string sessionId, string padding = "")
    {
        var pick = _random.Next(Models.Length);
        var inputTokens = _random.Next(200, 4000);
        var outputTokens = _random.Next(20, 800);
        var input = JsonSerializer.Serialize(new[]
        {
            new { role = "system", content = "You are a concise, helpful assistant for the customer success team. Cite sources." },
            new { role = "user", content = Questions[_random.Next(Questions.Length)] + padding },
        });
        var output = JsonSerializer.Serialize(new[]
        {
            new { role = "assistant", content = Answers[_random.Next(Answers.Length)], finish_reason = "stop" },
        });

        return new Span
        {
            TraceId = traceId,
            SpanId = spanId,
            ParentSpanId = parentId,
            Flags = 1,
            Name = $"chat {Models[pick]}",
            Kind = Span.Types.SpanKind.Client,
            StartTimeUnixNano = startNanos,
            EndTimeUnixNano = startNanos + (ulong)_random.Next(200, 9000) * 1_000_000UL,
            Status = new Status { Code = Status.Types.StatusCode.Ok },
            Attributes =
            {
                Str("gen_ai.operation.name", "chat"),
                Str("gen_ai.system", Systems[pick]),
                Str("gen_ai.request.model", Models[pick]),
                Str("gen_ai.response.model", Models[pick] + "-2025-04-14"),
                Str("gen_ai.response.id", "chatcmpl-" + Convert.ToHexString(RandomBytes(12).Span)),
                Dbl("gen_ai.request.temperature", 0.2),
                Int("gen_ai.request.max_tokens", 1024),
                Int("gen_ai.usage.input_tokens", inputTokens),
                Int("gen_ai.usage.output_tokens", outputTokens),
                new KeyValue
                {
                    Key = "gen_ai.response.finish_reasons",
                    Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "stop" } } } },
                },
                Str("gen_ai.input.messages", input),
                Str("gen_ai.output.messages", output),
                Str("honeyhive.session_id", sessionId),
                Str("honeyhive.project", "support-assistant"),
            },
        };
    }

    private ByteString RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue Dbl(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };
}

/// <summary>What a generated trace looks like (see <see cref="OtlpSpanFactory.CreateRequest(int, SpanShape, int)"/>).</summary>
public enum SpanShape
{
    /// <summary>Chat model spans only.</summary>
    Chat,

    /// <summary>An agent chain with model and tool spans.</summary>
    Agent,
}
