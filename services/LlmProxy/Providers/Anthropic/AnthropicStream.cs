using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using static HoneyHive.LlmProxy.Providers.OpenAiShapes;

namespace HoneyHive.LlmProxy.Providers.Anthropic;

/// <summary>
/// Turns the events of an Anthropic stream into OpenAI chunks, one event at a time: message_start opens the assistant
/// message, text deltas are content, a tool_use block is a tool call (id and name first, then its input_json_delta
/// pieces as arguments), message_delta carries the stop reason and the output tokens, and message_stop ends with the
/// usage chunk. An error event is the provider failing midway.
/// </summary>
public sealed class AnthropicStream(string model, string provider, string? answerTool)
{
    private readonly Dictionary<int, int> toolIndexByBlock = [];
    private readonly HashSet<int> answerBlocks = [];
    private readonly long created = OpenAiMessages.Now();
    private string id = "msg";
    private string responseModel = model;
    private JsonObject usage = [];
    private bool answered;

    public bool Ended { get; private set; }

    /// <summary>The chunks one event amounts to (often none, as for ping and content_block_stop).</summary>
    public IEnumerable<JsonObject> Translate(JsonObject data)
    {
        switch (OpenAiMessages.Text(data["type"]))
        {
            case "message_start":
                var message = data["message"] as JsonObject ?? [];
                id = OpenAiMessages.Text(message["id"]) ?? id;
                responseModel = OpenAiMessages.Text(message["model"]) ?? responseModel;
                if (message["usage"] is JsonObject started) usage = (JsonObject)started.DeepClone();
                yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" });
                break;
            case "content_block_start":
                if (data["content_block"] is JsonObject { } block && OpenAiMessages.Text(block["type"]) == "tool_use")
                {
                    var index = (int)Long(data["index"]);
                    if (OpenAiMessages.Text(block["name"]) == answerTool)
                    {
                        answerBlocks.Add(index);
                        answered = true;
                        break;
                    }
                    var toolIndex = toolIndexByBlock.Count;
                    toolIndexByBlock[index] = toolIndex;
                    yield return Chunk(new JsonObject
                    {
                        ["tool_calls"] = new JsonArray(new JsonObject
                        {
                            ["index"] = toolIndex,
                            ["id"] = OpenAiMessages.Text(block["id"]),
                            ["type"] = "function",
                            ["function"] = new JsonObject { ["name"] = OpenAiMessages.Text(block["name"]), ["arguments"] = "" },
                        }),
                    });
                }
                else if (data["content_block"] is JsonObject { } textBlock && OpenAiMessages.Text(textBlock["text"]) is { Length: > 0 } initial)
                    yield return Chunk(new JsonObject { ["content"] = initial });
                break;
            case "content_block_delta":
                if (Delta(data) is { } delta) yield return Chunk(delta);
                break;
            case "message_delta":
                if (data["usage"] is JsonObject more)
                    foreach (var (name, value) in more) usage[name] = value?.DeepClone();
                var stop = OpenAiMessages.Text(data["delta"]?["stop_reason"]);
                if (stop is not null)
                    yield return Chunk([], answered && stop == "tool_use" ? "stop" : AnthropicResponse.FinishReason(stop));
                break;
            case "message_stop":
                Ended = true;
                yield return UsageChunk(id, responseModel, created, AnthropicResponse.Usage(usage));
                break;
            case "error":
                throw Error(data["error"] as JsonObject ?? []);
        }
    }

    private JsonObject? Delta(JsonObject data)
    {
        var index = (int)Long(data["index"]);
        var delta = data["delta"] as JsonObject ?? [];
        switch (OpenAiMessages.Text(delta["type"]))
        {
            case "text_delta":
                return new JsonObject { ["content"] = OpenAiMessages.Text(delta["text"]) };
            case "input_json_delta" when answerBlocks.Contains(index):
                // The answer tool's input is the JSON reply itself, streamed as content.
                return new JsonObject { ["content"] = OpenAiMessages.Text(delta["partial_json"]) };
            case "input_json_delta" when toolIndexByBlock.TryGetValue(index, out var toolIndex):
                return new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = toolIndex,
                        ["function"] = new JsonObject { ["arguments"] = OpenAiMessages.Text(delta["partial_json"]) },
                    }),
                };
            default:
                return null; // thinking and signature deltas have no place in a chat completion chunk
        }
    }

    private JsonObject Chunk(JsonObject delta, string? finishReason = null) => OpenAiShapes.Chunk(id, responseModel, created, 0, delta, finishReason);

    /// <summary>An error event's type as the HTTP status Anthropic gives it when it answers with a status.</summary>
    private OpenAiErrorException Error(JsonObject error)
    {
        var type = OpenAiMessages.Text(error["type"]);
        var status = type switch
        {
            "invalid_request_error" => 400,
            "authentication_error" => 401,
            "permission_error" => 403,
            "not_found_error" => 404,
            "request_too_large" => 413,
            "rate_limit_error" => 429,
            "overloaded_error" => 529,
            _ => 500,
        };
        return UpstreamErrors.FromStatus(status, provider, OpenAiMessages.Text(error["message"]) ?? "the stream failed", type);
    }
}
