using System.Text.Json.Nodes;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>The OpenAI answer shapes a translating adapter builds: a completion, a stream chunk, usage.</summary>
public static class OpenAiShapes
{
    public static JsonObject Completion(string id, string model, long created, JsonArray choices, JsonObject? usage)
    {
        var completion = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = choices,
        };
        if (usage is not null) completion["usage"] = usage;
        return completion;
    }

    /// <summary>An assistant message: content is null when there is none beside tool calls, as OpenAI sends it.</summary>
    public static JsonObject Message(string text, JsonArray toolCalls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length == 0 && toolCalls.Count > 0 ? null : text };
        if (toolCalls.Count > 0) message["tool_calls"] = toolCalls;
        return message;
    }

    public static JsonObject ToolCall(string id, string name, string arguments) => new()
    {
        ["id"] = id,
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments },
    };

    /// <summary>A chunk for one choice; <paramref name="delta"/> null makes the usage chunk's empty choices.</summary>
    public static JsonObject Chunk(string id, string model, long created, int index, JsonObject? delta, string? finishReason = null) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = index, ["delta"] = delta, ["finish_reason"] = finishReason }),
    };

    public static JsonObject UsageChunk(string id, string model, long created, JsonObject usage)
    {
        var chunk = Chunk(id, model, created, 0, null);
        chunk["usage"] = usage;
        return chunk;
    }

    /// <summary>OpenAI usage; cached prompt tokens and reasoning tokens in their details when the provider reports them.</summary>
    public static JsonObject Usage(long prompt, long completion, long? cached = null, long? reasoning = null)
    {
        var usage = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion };
        if (cached is > 0) usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached };
        if (reasoning is > 0) usage["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = reasoning };
        return usage;
    }

    public static long Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;
}
