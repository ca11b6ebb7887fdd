using System.Text.RegularExpressions;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// The event type, in HoneyHive's priority order: explicit honeyhive_event_type(_raw),
/// gen_ai.operation.name, openinference.span.kind, traceloop.span.kind, span-name patterns,
/// then "tool" (HoneyHive's default).
/// </summary>
public static partial class EventTypeInference
{
    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal) { "session", "model", "tool", "chain" };

    public static (string EventType, string? SpanKind) Infer(SpanAttributes attributes, string spanName)
    {
        var openInferenceKind = attributes.PeekString("openinference.span.kind")?.ToUpperInvariant();
        var spanKind = openInferenceKind ?? attributes.PeekString("traceloop.span.kind");

        foreach (var key in new[] { "honeyhive_event_type_raw", "honeyhive_event_type" })
        {
            if (attributes.PeekString(key)?.ToLowerInvariant() is { } explicitType && EventTypes.Contains(explicitType)) return (explicitType, spanKind);
        }

        var fromOperation = attributes.PeekString("gen_ai.operation.name") switch
        {
            "chat" or "text_completion" or "generate_content" => "model",
            "invoke_agent" or "create_agent" => "chain",
            "execute_tool" => "tool",
            _ => null,
        };
        if (fromOperation is not null) return (fromOperation, spanKind);

        var fromOpenInference = openInferenceKind switch
        {
            "LLM" => "model",
            "CHAIN" or "AGENT" => "chain",
            "TOOL" or "RETRIEVER" or "EMBEDDING" or "RERANKER" or "GUARDRAIL" or "EVALUATOR" => "tool",
            _ => null,
        };
        if (fromOpenInference is not null) return (fromOpenInference, spanKind);

        var fromTraceloop = attributes.PeekString("traceloop.span.kind") switch
        {
            "workflow" or "task" or "agent" => "chain",
            "tool" => "tool",
            _ => null,
        };
        if (fromTraceloop is not null) return (fromTraceloop, spanKind);

        if (attributes.Has("gen_ai.request.model") || attributes.Has("llm.model_name") || ModelName().IsMatch(spanName)) return ("model", spanKind);
        if (ChainName().IsMatch(spanName)) return ("chain", spanKind);
        return ("tool", spanKind);
    }

    [GeneratedRegex(@"(^|[^a-z])(chat|completions?|llm|generate|openai|anthropic)([^a-z]|$)", RegexOptions.IgnoreCase)]
    private static partial Regex ModelName();

    [GeneratedRegex(@"(^|[^a-z])(workflow|chain|agent|pipeline|graph)([^a-z]|$)", RegexOptions.IgnoreCase)]
    private static partial Regex ChainName();
}
