using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using static HoneyHive.LlmProxy.Providers.OpenAiMessages;

namespace HoneyHive.LlmProxy.Providers.Anthropic;

/// <summary>
/// An OpenAI chat request as an Anthropic Messages API body: system and developer messages become <c>system</c>,
/// turns alternate user/assistant (consecutive same-role turns merged, as the API requires), tool results are user
/// turns of <c>tool_result</c> blocks, and a JSON <c>response_format</c> becomes a tool whose input is the answer
/// (Anthropic's documented way to get JSON that follows a schema), turned back into content by the response side.
/// </summary>
public static class AnthropicRequest
{
    /// <summary>Anthropic requires max_tokens; OpenAI callers often send none.</summary>
    public const int DefaultMaxTokens = 4096;

    public static JsonObject From(JsonObject request, string model, bool stream)
    {
        if (OpenAiRequests.OptionalInt(request, "n", 1, 128) is > 1)
            throw OpenAiErrorException.Invalid("n", "anthropic answers one choice per request: n must be 1.");

        var body = new JsonObject { ["model"] = model, ["max_tokens"] = MaxTokens(request) ?? DefaultMaxTokens };
        var (system, messages) = Turns(request);
        var answer = ResponseFormat(request);
        var tools = Tools(request);
        if (answer is not null && tools.Count > 0)
            system.Add(new JsonObject { ["type"] = "text", ["text"] = $"Give your final answer by calling the {answer.Name} tool." });
        if (system.Count > 0) body["system"] = system;
        body["messages"] = messages;

        var toolList = new JsonArray([.. tools.Select(t => (JsonNode)Tool(t.Name, t.Description, t.Parameters))]);
        if (answer is not null) toolList.Add(Tool(answer.Name, "Gives the answer as JSON.", answer.Schema));
        if (toolList.Count > 0) body["tools"] = toolList;
        if (ToolChoiceFor(request, answer, tools.Count) is { } choice) body["tool_choice"] = choice;

        if (Stop(request) is { } stop) body["stop_sequences"] = stop;
        if (Number(request, "temperature") is { } temperature) body["temperature"] = temperature;
        if (Number(request, "top_p") is { } topP) body["top_p"] = topP;
        if (Text(request["user"]) is { } user) body["metadata"] = new JsonObject { ["user_id"] = user };
        if (stream) body["stream"] = true;
        return body;
    }

    private static JsonObject Tool(string name, string? description, JsonObject? parameters)
    {
        var tool = new JsonObject { ["name"] = name };
        if (description is not null) tool["description"] = description;
        tool["input_schema"] = parameters?.DeepClone() ?? new JsonObject { ["type"] = "object" };
        return tool;
    }

    private static JsonObject? ToolChoiceFor(JsonObject request, JsonAnswer? answer, int callerTools)
    {
        var asked = ToolChoice(request);
        // With no tools of the caller's, the answer tool is forced: its input is the whole reply.
        if (answer is not null && callerTools == 0) return new JsonObject { ["type"] = "tool", ["name"] = answer.Name };
        JsonObject? choice = asked switch
        {
            null => null,
            ("auto", _) => new JsonObject { ["type"] = "auto" },
            ("none", _) => new JsonObject { ["type"] = "none" },
            ("required", _) => new JsonObject { ["type"] = "any" },
            (_, var name) => new JsonObject { ["type"] = "tool", ["name"] = name },
        };
        if (request["parallel_tool_calls"] is JsonValue parallel && parallel.TryGetValue<bool>(out var allowed) && !allowed && callerTools > 0)
        {
            choice ??= new JsonObject { ["type"] = "auto" };
            if (Text(choice["type"]) != "none") choice["disable_parallel_tool_use"] = true;
        }
        return choice;
    }

    private static (JsonArray System, JsonArray Messages) Turns(JsonObject request)
    {
        var system = new JsonArray();
        var messages = new JsonArray();
        var all = Messages(request);
        for (var i = 0; i < all.Count; i++)
        {
            var message = all[i];
            var role = Role(message, i);
            switch (role)
            {
                case "system" or "developer":
                    var text = TextOf(message!["content"], $"messages[{i}].content");
                    if (text.Length > 0) system.Add(new JsonObject { ["type"] = "text", ["text"] = text });
                    break;
                case "user":
                    OpenAiMessages.AppendTurn(messages, "user", "content", Blocks(message!["content"], $"messages[{i}].content"));
                    break;
                case "assistant":
                    var blocks = Blocks(message!["content"], $"messages[{i}].content");
                    foreach (var call in ToolCalls(message, i))
                        blocks.Add(new JsonObject { ["type"] = "tool_use", ["id"] = call.Id, ["name"] = call.Name, ["input"] = call.Arguments });
                    OpenAiMessages.AppendTurn(messages, "assistant", "content", blocks);
                    break;
                case "tool":
                    var id = Text(message!["tool_call_id"]) ?? throw OpenAiErrorException.Invalid($"messages[{i}].tool_call_id", "A tool message needs tool_call_id.");
                    OpenAiMessages.AppendTurn(messages, "user", "content", [new JsonObject
                    {
                        ["type"] = "tool_result",
                        ["tool_use_id"] = id,
                        ["content"] = TextOf(message["content"], $"messages[{i}].content"),
                    }]);
                    break;
                default:
                    throw OpenAiErrorException.Invalid($"messages[{i}].role", $"messages[{i}].role '{role}' is not one anthropic takes (system, developer, user, assistant, tool).");
            }
        }
        if (messages.Count == 0) throw OpenAiErrorException.Invalid("messages", "anthropic needs at least one user or assistant message besides the system prompt.");
        return (system, messages);
    }

    private static JsonArray Blocks(JsonNode? content, string param)
    {
        var blocks = new JsonArray();
        foreach (var part in Parts(content, param))
        {
            JsonObject? block = part switch
            {
                // Anthropic refuses empty text blocks (an assistant turn with only tool calls often carries content "").
                TextPart { Text.Length: 0 } => null,
                TextPart text => new JsonObject { ["type"] = "text", ["text"] = text.Text },
                InlineImagePart image => new JsonObject
                {
                    ["type"] = "image",
                    ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = image.MediaType, ["data"] = image.Base64 },
                },
                UrlImagePart image => new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "url", ["url"] = image.Url } },
                _ => null,
            };
            if (block is not null) blocks.Add(block);
        }
        return blocks;
    }
}
