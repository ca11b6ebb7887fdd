using System.Text;
using System.Text.Json.Nodes;
using static HoneyHive.LlmProxy.Providers.OpenAiShapes;

namespace HoneyHive.LlmProxy.Providers.Anthropic;

/// <summary>An Anthropic message as an OpenAI chat completion (text blocks joined, tool_use blocks as tool calls).</summary>
public static class AnthropicResponse
{
    /// <param name="answerTool">The tool standing for a JSON response_format: its input is the content, not a tool call.</param>
    public static JsonObject ToCompletion(JsonObject message, string model, string? answerTool)
    {
        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        var answered = false;
        foreach (var block in message["content"] as JsonArray ?? [])
        {
            switch (OpenAiMessages.Text(block?["type"]))
            {
                case "text":
                    text.Append(OpenAiMessages.Text(block!["text"]));
                    break;
                case "tool_use" when OpenAiMessages.Text(block!["name"]) == answerTool:
                    text.Append((block["input"] ?? new JsonObject()).ToJsonString());
                    answered = true;
                    break;
                case "tool_use":
                    toolCalls.Add(ToolCall(OpenAiMessages.Text(block["id"]) ?? "", OpenAiMessages.Text(block["name"]) ?? "",
                        (block["input"] ?? new JsonObject()).ToJsonString()));
                    break;
            }
        }
        var stop = OpenAiMessages.Text(message["stop_reason"]);
        var finish = answered && stop == "tool_use" ? "stop" : FinishReason(stop);
        var choice = new JsonObject { ["index"] = 0, ["message"] = Message(text.ToString(), toolCalls), ["finish_reason"] = finish };
        return Completion(OpenAiMessages.Text(message["id"]) ?? "msg", OpenAiMessages.Text(message["model"]) ?? model, OpenAiMessages.Now(),
            [choice], message["usage"] is JsonObject usage ? Usage(usage) : null);
    }

    public static string? FinishReason(string? stopReason) => stopReason switch
    {
        null => null,
        "end_turn" or "stop_sequence" or "pause_turn" => "stop",
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    /// <summary>Anthropic counts cache reads and writes apart from input_tokens; OpenAI's prompt_tokens include them.</summary>
    public static JsonObject Usage(JsonObject usage)
    {
        var cacheRead = Long(usage["cache_read_input_tokens"]);
        var prompt = Long(usage["input_tokens"]) + Long(usage["cache_creation_input_tokens"]) + cacheRead;
        return OpenAiShapes.Usage(prompt, Long(usage["output_tokens"]), cacheRead);
    }
}
