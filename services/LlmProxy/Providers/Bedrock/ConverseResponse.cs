using System.Text;
using System.Text.Json.Nodes;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>Converse answers in OpenAI's shapes: the finish reason, the usage, and a whole <c>chat.completion</c>.</summary>
public static class ConverseResponse
{
    /// <summary>Converse's stopReason as OpenAI's finish_reason.</summary>
    public static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "content_filtered" or "guardrail_intervened" => "content_filter",
        _ => "stop", // end_turn, stop_sequence
    };

    /// <summary>Converse's usage (inputTokens, outputTokens, totalTokens, cache reads) as OpenAI's.</summary>
    public static JsonObject Usage(JsonObject usage)
    {
        var input = Int(usage["inputTokens"]);
        var output = Int(usage["outputTokens"]);
        var cached = Int(usage["cacheReadInputTokens"]);
        var cacheWrite = Int(usage["cacheWriteInputTokens"]);
        // OpenAI counts cached prompt tokens inside prompt_tokens; Converse counts them apart.
        var prompt = input + cached + cacheWrite;
        var result = new JsonObject
        {
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = output,
            ["total_tokens"] = usage["totalTokens"] is not null ? Math.Max(Int(usage["totalTokens"]), prompt + output) : prompt + output,
        };
        if (cached > 0) result["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached };
        return result;
    }

    public static JsonObject ToCompletion(JsonObject answer, string id, string model, long created, string? schemaTool)
    {
        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        var blocks = answer["output"]?["message"]?["content"] as JsonArray ?? [];
        foreach (var block in blocks.OfType<JsonObject>())
        {
            if (block["text"] is JsonValue part) text.Append(part.ToString());
            else if (block["toolUse"] is JsonObject use)
            {
                var input = use["input"]?.ToJsonString() ?? "{}";
                // The forced tool that stands for a JSON schema answer is the answer itself.
                if (schemaTool is not null && use["name"]?.ToString() == schemaTool) text.Append(input);
                else toolCalls.Add(ToolCall(use["toolUseId"]?.ToString(), use["name"]?.ToString(), input));
            }
        }

        var stopReason = answer["stopReason"]?.ToString();
        var finish = schemaTool is not null && toolCalls.Count == 0 && stopReason == "tool_use" ? "stop" : FinishReason(stopReason);
        var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length > 0 || toolCalls.Count == 0 ? text.ToString() : null };
        if (toolCalls.Count > 0) message["tool_calls"] = toolCalls;
        var completion = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = finish }),
        };
        if (answer["usage"] is JsonObject usage) completion["usage"] = Usage(usage);
        return completion;
    }

    public static JsonObject ToolCall(string? id, string? name, string arguments) => new()
    {
        ["id"] = id,
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments },
    };

    private static int Int(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;
}
