using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>
/// A Converse request body translated from an OpenAI chat request, and the name of the tool that stands for a JSON
/// schema answer (null when none): its input is the answer, so the response side turns it back into content.
/// </summary>
public sealed record ConverseRequest(JsonObject Body, string? SchemaTool)
{
    /// <summary>
    /// System and developer messages become <c>system</c> blocks; the rest become Converse turns of content blocks
    /// (text, image bytes, toolUse, toolResult). Tool results are user turns, and consecutive turns of one role are
    /// merged, because Converse requires user and assistant to alternate. Every refusal is a 400 naming the field.
    /// </summary>
    public static ConverseRequest From(JsonObject request)
    {
        if (OpenAiRequests.OptionalInt(request, "n", 1, 128) is > 1)
            throw OpenAiErrorException.Invalid("n", "Bedrock's Converse API answers one choice per call: n must be 1.");
        if (OpenAiRequests.OptionalBool(request, "logprobs"))
            throw OpenAiErrorException.Invalid("logprobs", "Bedrock's Converse API does not return log probabilities.");
        if (request["messages"] is not JsonArray { Count: > 0 } messages)
            throw OpenAiErrorException.Invalid("messages", "messages is required and must be a non-empty array.");

        var system = new JsonArray();
        var turns = new List<(string Role, JsonArray Content)>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message)
                throw OpenAiErrorException.Invalid($"messages[{i}]", "Each message must be an object.");
            var role = message["role"]?.GetValueKind() == JsonValueKind.String ? message["role"]!.GetValue<string>() : null;
            switch (role)
            {
                case "system" or "developer":
                    foreach (var text in Texts(message["content"], $"messages[{i}].content")) system.Add(new JsonObject { ["text"] = text });
                    break;
                case "user":
                    turns.Add(("user", UserContent(message["content"], $"messages[{i}].content")));
                    break;
                case "assistant":
                    turns.Add(("assistant", AssistantContent(message, i)));
                    break;
                case "tool":
                    turns.Add(("user", [ToolResult(message, i)]));
                    break;
                default:
                    throw OpenAiErrorException.Invalid($"messages[{i}].role", $"Role '{role}' is not one of system, developer, user, assistant, tool.");
            }
        }

        var body = new JsonObject { ["messages"] = Merge(turns) };
        if (request["response_format"] is JsonObject { } format && format["type"]?.ToString() == "json_object")
            system.Add(new JsonObject { ["text"] = JsonObjectInstruction });
        if (system.Count > 0) body["system"] = system;
        if (InferenceConfig(request) is { Count: > 0 } inference) body["inferenceConfig"] = inference;
        var schemaTool = ToolConfig(request, body, system);
        // Model-specific fields (top_k, thinking...) pass through for callers who know the model behind Bedrock.
        if (request["additionalModelRequestFields"] is JsonObject extra) body["additionalModelRequestFields"] = extra.DeepClone();
        return new ConverseRequest(body, schemaTool);
    }

    /// <summary>What JSON mode asks of a model that has no such switch on Converse.</summary>
    public const string JsonObjectInstruction = "Answer with one JSON object only: no prose, no code fences.";

    private static JsonObject InferenceConfig(JsonObject request)
    {
        var config = new JsonObject();
        var maxTokens = OpenAiRequests.OptionalInt(request, "max_completion_tokens", 1, int.MaxValue)
            ?? OpenAiRequests.OptionalInt(request, "max_tokens", 1, int.MaxValue);
        if (maxTokens is { } max) config["maxTokens"] = max;
        if (Number(request, "temperature") is { } temperature) config["temperature"] = temperature;
        if (Number(request, "top_p") is { } topP) config["topP"] = topP;
        switch (request["stop"])
        {
            case null:
                break;
            case JsonValue one when one.TryGetValue<string>(out var stop):
                config["stopSequences"] = new JsonArray(stop);
                break;
            case JsonArray many when many.All(s => s?.GetValueKind() == JsonValueKind.String):
                if (many.Count > 0) config["stopSequences"] = many.DeepClone();
                break;
            default:
                throw OpenAiErrorException.Invalid("stop", "stop must be a string or an array of strings.");
        }
        return config;
    }

    /// <summary>
    /// Tools become <c>toolSpec</c>s and tool_choice auto/required/a function becomes auto/any/tool. A JSON schema
    /// answer (<c>response_format: json_schema</c>) is a forced tool whose input schema is the schema, the way
    /// Converse's models produce schema-shaped JSON reliably; when the caller brings tools of its own the forced tool
    /// would keep the model from them, so the schema goes into the system prompt instead.
    /// </summary>
    private static string? ToolConfig(JsonObject request, JsonObject body, JsonArray system)
    {
        var tools = new JsonArray();
        if (request["tools"] is JsonArray callerTools)
        {
            for (var i = 0; i < callerTools.Count; i++)
            {
                var function = callerTools[i]?["function"] as JsonObject;
                if (callerTools[i]?["type"]?.ToString() != "function" || function?["name"]?.GetValueKind() != JsonValueKind.String)
                    throw OpenAiErrorException.Invalid($"tools[{i}]", "Each tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}.");
                tools.Add(ToolSpec(function["name"]!.GetValue<string>(), function["description"]?.ToString(), function["parameters"]));
            }
        }

        JsonObject? choice = request["tool_choice"] switch
        {
            null => null,
            JsonValue value when value.ToString() == "auto" => new JsonObject { ["auto"] = new JsonObject() },
            JsonValue value when value.ToString() == "required" => new JsonObject { ["any"] = new JsonObject() },
            // Converse has no "none": the tools stay declared (history with tool blocks needs them) and the choice is the model's.
            JsonValue value when value.ToString() == "none" => null,
            JsonObject named when named["function"]?["name"]?.GetValueKind() == JsonValueKind.String =>
                new JsonObject { ["tool"] = new JsonObject { ["name"] = named["function"]!["name"]!.GetValue<string>() } },
            _ => throw OpenAiErrorException.Invalid("tool_choice", "tool_choice must be auto, required, none or {\"type\": \"function\", \"function\": {\"name\"}}."),
        };

        string? schemaTool = null;
        if (request["response_format"] is JsonObject format && format["type"]?.ToString() == "json_schema")
        {
            var schema = format["json_schema"] as JsonObject
                ?? throw OpenAiErrorException.Invalid("response_format.json_schema", "response_format json_schema needs its json_schema object.");
            var name = schema["name"]?.ToString() is { Length: > 0 } given ? given : "json_answer";
            if (tools.Count == 0)
            {
                schemaTool = name;
                tools.Add(ToolSpec(name, schema["description"]?.ToString() ?? "Give the answer as this tool's input.", schema["schema"]));
                choice = new JsonObject { ["tool"] = new JsonObject { ["name"] = name } };
            }
            else
            {
                system.Add(new JsonObject { ["text"] = $"{JsonObjectInstruction} It must match this JSON schema: {schema["schema"]?.ToJsonString() ?? "{}"}" });
            }
        }

        if (tools.Count == 0) return null;
        var config = new JsonObject { ["tools"] = tools };
        if (choice is not null) config["toolChoice"] = choice;
        body["toolConfig"] = config;
        return schemaTool;
    }

    private static JsonObject ToolSpec(string name, string? description, JsonNode? parameters)
    {
        var spec = new JsonObject { ["name"] = name };
        if (description is { Length: > 0 }) spec["description"] = description;
        spec["inputSchema"] = new JsonObject { ["json"] = parameters?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() } };
        return new JsonObject { ["toolSpec"] = spec };
    }

    private static JsonArray UserContent(JsonNode? content, string path)
    {
        if (content is JsonValue value && value.TryGetValue<string>(out var text)) return TextBlocks(text);
        if (content is not JsonArray parts) throw OpenAiErrorException.Invalid(path, "content must be a string or an array of content parts.");
        var blocks = new JsonArray();
        for (var j = 0; j < parts.Count; j++)
        {
            var part = parts[j] as JsonObject;
            switch (part?["type"]?.ToString())
            {
                case "text":
                    foreach (var block in TextBlocks(part["text"]?.ToString() ?? "")) blocks.Add(block!.DeepClone());
                    break;
                case "image_url":
                    blocks.Add(ImageBlock(part["image_url"] is JsonObject image ? image["url"] : part["image_url"], $"{path}[{j}].image_url.url"));
                    break;
                default:
                    throw OpenAiErrorException.Invalid($"{path}[{j}].type", $"Content part type '{part?["type"]}' is not supported on Bedrock; use text or image_url.");
            }
        }
        return blocks;
    }

    /// <summary>Converse takes an image's bytes (or an S3 location), never a URL to fetch: only data: URLs translate.</summary>
    private static JsonObject ImageBlock(JsonNode? url, string path)
    {
        var text = url is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;
        if (text is null || !text.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            throw OpenAiErrorException.Invalid(path, "Bedrock takes an image's bytes, not a link: send it as a data URL (data:image/png;base64,...).");
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        var header = comma > 0 ? text[5..comma].ToLowerInvariant() : "";
        if (!header.EndsWith(";base64", StringComparison.Ordinal))
            throw OpenAiErrorException.Invalid(path, "The image data URL must be base64 (data:image/png;base64,...).");
        var format = header[..^7] switch
        {
            "image/png" => "png",
            "image/jpeg" or "image/jpg" => "jpeg",
            "image/gif" => "gif",
            "image/webp" => "webp",
            var other => throw OpenAiErrorException.Invalid(path, $"Bedrock takes png, jpeg, gif or webp images, not {other}."),
        };
        var data = text[(comma + 1)..];
        if (data.Length == 0) throw OpenAiErrorException.Invalid(path, "The image data URL holds no bytes.");
        return new JsonObject { ["image"] = new JsonObject { ["format"] = format, ["source"] = new JsonObject { ["bytes"] = data } } };
    }

    private static JsonArray AssistantContent(JsonObject message, int i)
    {
        var blocks = new JsonArray();
        if (message["content"] is not null)
            foreach (var text in Texts(message["content"], $"messages[{i}].content")) blocks.Add(new JsonObject { ["text"] = text });
        if (message["tool_calls"] is JsonArray calls)
        {
            for (var j = 0; j < calls.Count; j++)
            {
                var path = $"messages[{i}].tool_calls[{j}]";
                var function = calls[j]?["function"] as JsonObject ?? throw OpenAiErrorException.Invalid(path, "A tool call needs its function.");
                blocks.Add(new JsonObject
                {
                    ["toolUse"] = new JsonObject
                    {
                        ["toolUseId"] = calls[j]?["id"]?.ToString() ?? throw OpenAiErrorException.Invalid($"{path}.id", "A tool call needs its id."),
                        ["name"] = function["name"]?.ToString() ?? throw OpenAiErrorException.Invalid($"{path}.function.name", "A tool call needs its name."),
                        ["input"] = Arguments(function["arguments"], $"{path}.function.arguments"),
                    },
                });
            }
        }
        return blocks;
    }

    /// <summary>OpenAI carries arguments as a JSON string; Converse's toolUse input is the JSON object itself.</summary>
    private static JsonNode Arguments(JsonNode? arguments, string path)
    {
        var text = arguments?.ToString();
        if (string.IsNullOrWhiteSpace(text)) return new JsonObject();
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw OpenAiErrorException.Invalid(path, "Tool call arguments must be a JSON object.");
        }
        catch (JsonException)
        {
            throw OpenAiErrorException.Invalid(path, "Tool call arguments are not valid JSON.");
        }
    }

    /// <summary>A tool's answer: JSON objects stay JSON (the model reads them structured), anything else is text.</summary>
    private static JsonObject ToolResult(JsonObject message, int i)
    {
        var id = message["tool_call_id"]?.ToString() ?? throw OpenAiErrorException.Invalid($"messages[{i}].tool_call_id", "A tool message needs tool_call_id.");
        var text = string.Concat(Texts(message["content"], $"messages[{i}].content"));
        JsonNode? json = null;
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                json = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                json = null;
            }
        }
        var content = json is not null ? new JsonObject { ["json"] = json } : new JsonObject { ["text"] = text.Length > 0 ? text : "(empty)" };
        return new JsonObject { ["toolResult"] = new JsonObject { ["toolUseId"] = id, ["content"] = new JsonArray(content) } };
    }

    /// <summary>Consecutive turns of one role become one turn; turns left without content are dropped (Converse refuses empty ones).</summary>
    private static JsonArray Merge(List<(string Role, JsonArray Content)> turns)
    {
        var merged = new JsonArray();
        JsonObject? last = null;
        foreach (var (role, content) in turns)
        {
            if (content.Count == 0) continue;
            if (last is not null && last["role"]!.GetValue<string>() == role)
            {
                var into = (JsonArray)last["content"]!;
                foreach (var block in content.ToList())
                {
                    content.Remove(block);
                    into.Add(block);
                }
                continue;
            }
            last = new JsonObject { ["role"] = role, ["content"] = content };
            merged.Add(last);
        }
        return merged;
    }

    private static JsonArray TextBlocks(string text) => text.Length > 0 ? [new JsonObject { ["text"] = text }] : [];

    /// <summary>The texts of a string content or of an array of text parts.</summary>
    private static List<string> Texts(JsonNode? content, string path)
    {
        if (content is null) return [];
        if (content is JsonValue value && value.TryGetValue<string>(out var text)) return text.Length > 0 ? [text] : [];
        if (content is JsonArray parts)
        {
            var texts = new List<string>();
            for (var j = 0; j < parts.Count; j++)
            {
                if (parts[j]?["type"]?.ToString() is not ("text" or "refusal"))
                    throw OpenAiErrorException.Invalid($"{path}[{j}].type", "Only text parts are allowed here.");
                var part = parts[j]!["text"]?.ToString() ?? parts[j]!["refusal"]?.ToString();
                if (part is { Length: > 0 }) texts.Add(part);
            }
            return texts;
        }
        throw OpenAiErrorException.Invalid(path, "content must be a string or an array of text parts.");
    }

    private static double? Number(JsonObject request, string name) => request[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<double>(out var number) => number,
        _ => throw OpenAiErrorException.Invalid(name, $"{name} must be a number."),
    };
}
