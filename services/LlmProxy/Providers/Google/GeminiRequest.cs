using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using static HoneyHive.LlmProxy.Providers.OpenAiMessages;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>
/// An OpenAI chat request as a Gemini <c>generateContent</c> body (the same for AI Studio and Vertex AI): messages are
/// <c>contents</c> of user and model turns, system messages the <c>systemInstruction</c>, images <c>inlineData</c> or
/// <c>fileData</c>, tools <c>functionDeclarations</c>, tool calls and results <c>functionCall</c> and
/// <c>functionResponse</c> parts, and the sampling fields <c>generationConfig</c>.
/// </summary>
public static class GeminiRequest
{
    public static JsonObject From(JsonObject request)
    {
        var body = new JsonObject();
        var (system, contents) = Contents(request);
        body["contents"] = contents;
        if (system.Count > 0) body["systemInstruction"] = new JsonObject { ["parts"] = system };

        var tools = Tools(request);
        if (tools.Count > 0)
        {
            body["tools"] = new JsonArray(new JsonObject
            {
                ["functionDeclarations"] = new JsonArray([.. tools.Select(t => (JsonNode)Declaration(t))]),
            });
        }
        if (ToolChoice(request) is { } choice) body["toolConfig"] = new JsonObject { ["functionCallingConfig"] = CallingConfig(choice) };
        if (GenerationConfig(request) is { Count: > 0 } config) body["generationConfig"] = config;
        return body;
    }

    private static JsonObject Declaration(FunctionTool tool)
    {
        var declaration = new JsonObject { ["name"] = tool.Name };
        if (tool.Description is not null) declaration["description"] = tool.Description;
        // A function without parameters has none declared: Gemini refuses an object schema without properties.
        if (tool.Parameters is { } parameters && parameters["properties"] is JsonObject { Count: > 0 })
            declaration["parameters"] = GeminiSchema.From(parameters);
        return declaration;
    }

    private static JsonObject CallingConfig((string Mode, string? Function) choice) => choice switch
    {
        ("auto", _) => new JsonObject { ["mode"] = "AUTO" },
        ("none", _) => new JsonObject { ["mode"] = "NONE" },
        ("required", _) => new JsonObject { ["mode"] = "ANY" },
        (_, var name) => new JsonObject { ["mode"] = "ANY", ["allowedFunctionNames"] = new JsonArray(name) },
    };

    private static JsonObject GenerationConfig(JsonObject request)
    {
        var config = new JsonObject();
        if (Number(request, "temperature") is { } temperature) config["temperature"] = temperature;
        if (Number(request, "top_p") is { } topP) config["topP"] = topP;
        if (MaxTokens(request) is { } max) config["maxOutputTokens"] = max;
        if (Stop(request) is { } stop) config["stopSequences"] = stop;
        if (OpenAiRequests.OptionalInt(request, "n", 1, 128) is { } n && n > 1) config["candidateCount"] = n;
        if (Number(request, "seed") is { } seed) config["seed"] = seed;
        if (Number(request, "presence_penalty") is { } presence) config["presencePenalty"] = presence;
        if (Number(request, "frequency_penalty") is { } frequency) config["frequencyPenalty"] = frequency;
        if (ResponseFormat(request) is { } answer)
        {
            config["responseMimeType"] = "application/json";
            if (answer.Schema is { } schema) config["responseSchema"] = GeminiSchema.From(schema);
        }
        return config;
    }

    private static (JsonArray System, JsonArray Contents) Contents(JsonObject request)
    {
        var system = new JsonArray();
        var contents = new JsonArray();
        // Gemini's functionResponse names the function; OpenAI's tool message names only the call's id.
        var functionById = new Dictionary<string, string>(StringComparer.Ordinal);
        var all = Messages(request);
        for (var i = 0; i < all.Count; i++)
        {
            var message = all[i];
            var role = Role(message, i);
            switch (role)
            {
                case "system" or "developer":
                    var text = TextOf(message!["content"], $"messages[{i}].content");
                    if (text.Length > 0) system.Add(new JsonObject { ["text"] = text });
                    break;
                case "user":
                    OpenAiMessages.AppendTurn(contents, "user", "parts", Parts(message!["content"], $"messages[{i}].content"));
                    break;
                case "assistant":
                    var parts = Parts(message!["content"], $"messages[{i}].content");
                    foreach (var call in ToolCalls(message, i))
                    {
                        functionById[call.Id] = call.Name;
                        parts.Add(new JsonObject { ["functionCall"] = new JsonObject { ["name"] = call.Name, ["args"] = call.Arguments } });
                    }
                    OpenAiMessages.AppendTurn(contents, "model", "parts", parts);
                    break;
                case "tool":
                    var id = Text(message!["tool_call_id"]) ?? throw OpenAiErrorException.Invalid($"messages[{i}].tool_call_id", "A tool message needs tool_call_id.");
                    var name = functionById.GetValueOrDefault(id) ?? Text(message["name"])
                        ?? throw OpenAiErrorException.Invalid($"messages[{i}].tool_call_id", $"messages[{i}] answers tool call '{id}', which no earlier assistant message made.");
                    OpenAiMessages.AppendTurn(contents, "user", "parts", [new JsonObject
                    {
                        ["functionResponse"] = new JsonObject { ["name"] = name, ["response"] = Result(TextOf(message["content"], $"messages[{i}].content")) },
                    }]);
                    break;
                default:
                    throw OpenAiErrorException.Invalid($"messages[{i}].role", $"messages[{i}].role '{role}' is not one Gemini takes (system, developer, user, assistant, tool).");
            }
        }
        if (contents.Count == 0) throw OpenAiErrorException.Invalid("messages", "Gemini needs at least one user or assistant message besides the system prompt.");
        return (system, contents);
    }

    /// <summary>A function's result: Gemini takes an object, so a JSON object passes as is and anything else is wrapped.</summary>
    private static JsonObject Result(string content)
    {
        try
        {
            if (JsonNode.Parse(content) is JsonObject result) return result;
        }
        catch (JsonException)
        {
            // plain text: wrapped below
        }
        return new JsonObject { ["content"] = content };
    }

    private static JsonArray Parts(JsonNode? content, string param)
    {
        var parts = new JsonArray();
        foreach (var part in OpenAiMessages.Parts(content, param))
        {
            JsonObject? converted = part switch
            {
                TextPart { Text.Length: 0 } => null,
                TextPart text => new JsonObject { ["text"] = text.Text },
                InlineImagePart image => new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = image.MediaType, ["data"] = image.Base64 } },
                UrlImagePart image => new JsonObject { ["fileData"] = new JsonObject { ["mimeType"] = image.MediaType, ["fileUri"] = image.Url } },
                _ => null,
            };
            if (converted is not null) parts.Add(converted);
        }
        return parts;
    }
}
