using System.Text.Json.Nodes;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>
/// ConverseStream's events as OpenAI chunks, one stream's state: messageStart is the role chunk, a toolUse block's
/// start is a tool call's id and name, contentBlockDelta pieces are content or argument pieces, messageStop carries
/// the finish reason, and metadata's usage is kept for the closing usage chunk. A JSON schema answer's forced tool
/// streams as content.
/// </summary>
public sealed class ConverseStreamTranslator(string id, string model, long created, string? schemaTool)
{
    /// <summary>OpenAI numbers tool calls 0, 1, ...; Converse numbers every content block.</summary>
    private readonly Dictionary<int, int> toolIndexByBlock = [];
    private readonly HashSet<int> schemaBlocks = [];
    private bool sawToolCall;

    /// <summary>The usage chunk, once the metadata event has reported it.</summary>
    public JsonObject? UsageChunk { get; private set; }

    public JsonObject? Translate(string eventType, JsonObject payload)
    {
        var block = payload["contentBlockIndex"] is JsonValue index && index.TryGetValue<int>(out var number) ? number : 0;
        switch (eventType)
        {
            case "messageStart":
                return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" });
            case "contentBlockStart" when (payload["start"]?["toolUse"]) is JsonObject use:
                if (schemaTool is not null && use["name"]?.ToString() == schemaTool)
                {
                    schemaBlocks.Add(block);
                    return null;
                }
                var toolIndex = toolIndexByBlock.Count;
                toolIndexByBlock[block] = toolIndex;
                sawToolCall = true;
                var call = ConverseResponse.ToolCall(use["toolUseId"]?.ToString(), use["name"]?.ToString(), "");
                call["index"] = toolIndex;
                return Chunk(new JsonObject { ["tool_calls"] = new JsonArray(call) });
            case "contentBlockDelta" when payload["delta"] is JsonObject delta:
                if (delta["text"] is JsonValue text) return Chunk(new JsonObject { ["content"] = text.ToString() });
                if (delta["toolUse"]?["input"] is JsonValue input)
                {
                    if (schemaBlocks.Contains(block)) return Chunk(new JsonObject { ["content"] = input.ToString() });
                    if (toolIndexByBlock.TryGetValue(block, out var at))
                        return Chunk(new JsonObject
                        {
                            ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = at, ["function"] = new JsonObject { ["arguments"] = input.ToString() } }),
                        });
                }
                return null; // reasoning and other block kinds OpenAI's chunk has no field for
            case "messageStop":
                var stopReason = payload["stopReason"]?.ToString();
                var finish = schemaBlocks.Count > 0 && !sawToolCall && stopReason == "tool_use" ? "stop" : ConverseResponse.FinishReason(stopReason);
                return Chunk(new JsonObject(), finish);
            case "metadata" when payload["usage"] is JsonObject usage:
                UsageChunk = Chunk(null);
                UsageChunk["usage"] = ConverseResponse.Usage(usage);
                return null;
            default:
                return null; // contentBlockStop, and events added after this was written
        }
    }

    private JsonObject Chunk(JsonObject? delta, string? finishReason = null) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = delta is null
            ? new JsonArray()
            : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
    };
}
