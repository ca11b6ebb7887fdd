using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace HoneyHive.Web.Tests;

/// <summary>
/// OTLP/JSON of an agent session as an instrumented app sends it: a root chain span (which creates the session,
/// named, with a user), a model span with chat messages in GenAI attributes, and a tool span; extra tool spans
/// make trees as large as a test needs. Ids are random, so each call is a new session.
/// </summary>
public sealed record AgentTrace(string SessionName, string UserId = "user-1", string Model = "gpt-4o", string Question = "What is the capital of France?", string Answer = "Paris.", int ExtraSpans = 0, bool ModelError = false)
{
    public string TraceId { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    /// <summary>The session id the platform derives from the trace id (a UUID of its 32 hex digits).</summary>
    public string SessionId => Guid.ParseExact(TraceId, "N").ToString();

    public string ToOtlpJson(DateTimeOffset? start = null)
    {
        var t0 = (start ?? DateTimeOffset.UtcNow.AddSeconds(-2)).ToUnixTimeMilliseconds() * 1_000_000L;
        var root = SpanId();
        var spans = new List<object>
        {
            Span(root, null, "agent.run", 1, t0, t0 + 1_500_000_000,
                Attr("honeyhive.session_auto_create", true), Attr("honeyhive.session_name", SessionName), Attr("honeyhive_user_properties.user_id", UserId),
                Attr("honeyhive_inputs.question", Question)),
            Span(SpanId(), root, $"chat {Model}", 3, t0 + 100_000_000, t0 + 900_000_000,
                Attr("gen_ai.system", "openai"), Attr("gen_ai.request.model", Model), Attr("gen_ai.request.temperature", 0.2),
                Attr("gen_ai.usage.input_tokens", 120), Attr("gen_ai.usage.output_tokens", 12),
                Attr("gen_ai.prompt.0.role", "system"), Attr("gen_ai.prompt.0.content", "You are a concise geography assistant."),
                Attr("gen_ai.prompt.1.role", "user"), Attr("gen_ai.prompt.1.content", Question),
                Attr("gen_ai.completion.0.role", "assistant"), Attr("gen_ai.completion.0.content", Answer),
                ModelError ? Attr("error.type", "RateLimitError") : Attr("honeyhive_metadata.attempt", 1)),
            Span(SpanId(), root, "search_web", 1, t0 + 950_000_000, t0 + 1_400_000_000,
                Attr("honeyhive_event_type", "tool"), Attr("honeyhive_inputs.query", Question), Attr("honeyhive_outputs.result", Answer)),
        };
        for (var i = 0; i < ExtraSpans; i++)
        {
            var at = t0 + 1_000_000L * i;
            spans.Add(Span(SpanId(), root, $"step-{i}", 1, at, at + 500_000, Attr("honeyhive_event_type", "tool"), Attr("honeyhive_inputs.step", i)));
        }

        return JsonSerializer.Serialize(new
        {
            resourceSpans = new[]
            {
                new
                {
                    resource = new { attributes = new[] { Attr("service.name", "ui-test-agent") } },
                    scopeSpans = new[] { new { scope = new { name = "ui-tests" }, spans } },
                },
            },
        });
    }

    private object Span(string id, string? parent, string name, int kind, long start, long end, params object[] attributes) => new
    {
        traceId = TraceId,
        spanId = id,
        parentSpanId = parent ?? "",
        name,
        kind,
        startTimeUnixNano = start.ToString(CultureInfo.InvariantCulture),
        endTimeUnixNano = end.ToString(CultureInfo.InvariantCulture),
        attributes,
        status = ModelError && name.StartsWith("chat", StringComparison.Ordinal) ? new { code = 2, message = "rate limited by the provider" } : new { code = 0, message = "" },
    };

    private static string SpanId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    private static object Attr(string key, object value) => new
    {
        key,
        value = value switch
        {
            string s => (object)new { stringValue = s },
            bool b => new { boolValue = b },
            int i => new { intValue = i.ToString(CultureInfo.InvariantCulture) },
            double d => new { doubleValue = d },
            _ => throw new ArgumentException($"No OTLP value for {value.GetType()}"),
        },
    };
}
