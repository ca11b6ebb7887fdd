using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>
/// Reading an OpenAI chat request the way every translating adapter needs it: the messages' roles and content parts,
/// images as inline bytes or a URL, tool calls with their arguments parsed, and the scalar fields. Every refusal is a
/// 400 naming the field, so a caller learns what to fix before a provider is called.
/// </summary>
public static class OpenAiMessages
{
    public static JsonArray Messages(JsonObject request) =>
        request["messages"] as JsonArray is { Count: > 0 } messages
            ? messages
            : throw OpenAiErrorException.Invalid("messages", "messages must be a non-empty array.");

    public static string Role(JsonNode? message, int index) =>
        Text(message?["role"]) ?? throw OpenAiErrorException.Invalid($"messages[{index}]", $"messages[{index}] needs a role.");

    /// <summary>The parts of a message's content: a string is one text part; null is none.</summary>
    public static IEnumerable<ContentPart> Parts(JsonNode? content, string param)
    {
        switch (content)
        {
            case null:
                yield break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                yield return new TextPart(text);
                yield break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) yield return Part(array[i], $"{param}[{i}]");
                yield break;
            default:
                throw OpenAiErrorException.Invalid(param, $"{param} must be a string or an array of content parts.");
        }
    }

    /// <summary>The text of a content that may only hold text (system messages, tool results).</summary>
    public static string TextOf(JsonNode? content, string param)
    {
        var text = new StringBuilder();
        foreach (var part in Parts(content, param))
        {
            if (part is not TextPart { Text: var piece })
                throw OpenAiErrorException.Invalid(param, $"{param} may only hold text.");
            if (text.Length > 0) text.Append('\n');
            text.Append(piece);
        }
        return text.ToString();
    }

    private static ContentPart Part(JsonNode? node, string param)
    {
        var type = Text(node?["type"]);
        switch (type)
        {
            case "text":
                return new TextPart(Text(node!["text"]) ?? throw OpenAiErrorException.Invalid(param, $"{param}.text must be a string."));
            case "image_url":
            {
                var url = Text(node!["image_url"]?["url"]) ?? Text(node["image_url"])
                    ?? throw OpenAiErrorException.Invalid(param, $"{param}.image_url.url must be a string.");
                return Image(url, param);
            }
            default:
                throw OpenAiErrorException.Invalid(param, $"{param} has type '{type}'; this provider takes text and image_url parts.");
        }
    }

    /// <summary>A data: URL becomes its bytes (base64 as sent) and media type; http(s) stays a URL.</summary>
    private static ContentPart Image(string url, string param)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            // data:[<media type>][;base64],<data> — only base64 is meaningful for images.
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var header = comma > 5 ? url[5..comma] : "";
            if (comma < 0 || !header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
                throw OpenAiErrorException.Invalid(param, $"{param}: a data URL image must be base64 (data:image/png;base64,...).");
            var mediaType = header[..^";base64".Length];
            return new InlineImagePart(mediaType.Length > 0 ? mediaType.ToLowerInvariant() : "image/png", url[(comma + 1)..]);
        }
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            return new UrlImagePart(url, MediaTypeOf(uri));
        throw OpenAiErrorException.Invalid(param, $"{param}: an image URL must be http(s) or a base64 data URL.");
    }

    /// <summary>The media type a URL's extension names (Gemini's fileData needs one); JPEG when it names none.</summary>
    private static string MediaTypeOf(Uri uri) => Path.GetExtension(uri.AbsolutePath).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".heic" => "image/heic",
        ".pdf" => "application/pdf",
        _ => "image/jpeg",
    };

    /// <summary>An assistant message's tool calls, their arguments parsed (providers take them as JSON objects).</summary>
    public static IEnumerable<ToolCall> ToolCalls(JsonNode? message, int index)
    {
        if (message?["tool_calls"] is not JsonArray calls) yield break;
        for (var i = 0; i < calls.Count; i++)
        {
            var param = $"messages[{index}].tool_calls[{i}]";
            var call = calls[i];
            var id = Text(call?["id"]) ?? throw OpenAiErrorException.Invalid(param, $"{param}.id is required.");
            var name = Text(call?["function"]?["name"]) ?? throw OpenAiErrorException.Invalid(param, $"{param}.function.name is required.");
            var arguments = Text(call?["function"]?["arguments"]);
            yield return new ToolCall(id, name, ParseArguments(arguments, param));
        }
    }

    private static JsonObject ParseArguments(string? arguments, string param)
    {
        if (string.IsNullOrWhiteSpace(arguments)) return [];
        try
        {
            return JsonNode.Parse(arguments) as JsonObject
                ?? throw OpenAiErrorException.Invalid(param, $"{param}.function.arguments must be a JSON object.");
        }
        catch (JsonException)
        {
            throw OpenAiErrorException.Invalid(param, $"{param}.function.arguments is not valid JSON.");
        }
    }

    /// <summary>The function tools of a request; any other tool type is refused (no provider here runs them).</summary>
    public static IReadOnlyList<FunctionTool> Tools(JsonObject request)
    {
        if (request["tools"] is not JsonArray tools) return [];
        var list = new List<FunctionTool>();
        for (var i = 0; i < tools.Count; i++)
        {
            var param = $"tools[{i}]";
            if (Text(tools[i]?["type"]) is not "function" || tools[i]?["function"] is not JsonObject function)
                throw OpenAiErrorException.Invalid(param, $"{param} must be a function tool.");
            var name = Text(function["name"]) ?? throw OpenAiErrorException.Invalid(param, $"{param}.function.name is required.");
            list.Add(new FunctionTool(name, Text(function["description"]), function["parameters"] as JsonObject));
        }
        return list;
    }

    /// <summary>tool_choice as one of auto, none, required, or the name of the function it forces.</summary>
    public static (string Mode, string? Function)? ToolChoice(JsonObject request) => request["tool_choice"] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var mode) && mode is "auto" or "none" or "required" => (mode, null),
        JsonObject choice when Text(choice["function"]?["name"]) is { } name => ("function", name),
        _ => throw OpenAiErrorException.Invalid("tool_choice", "tool_choice must be auto, none, required or {type: function, function: {name}}."),
    };

    /// <summary>The answer's token limit: max_completion_tokens (OpenAI's current name), else max_tokens.</summary>
    public static int? MaxTokens(JsonObject request) =>
        OpenAiRequests.OptionalInt(request, "max_completion_tokens", 1, int.MaxValue) ?? OpenAiRequests.OptionalInt(request, "max_tokens", 1, int.MaxValue);

    /// <summary>stop as a list (OpenAI takes a string or up to four strings).</summary>
    public static JsonArray? Stop(JsonObject request) => request["stop"] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var one) => [one],
        JsonArray many when many.All(s => s is JsonValue v && v.TryGetValue<string>(out _)) => (JsonArray)many.DeepClone(),
        _ => throw OpenAiErrorException.Invalid("stop", "stop must be a string or an array of strings."),
    };

    /// <summary>A number field copied as it was sent, or null.</summary>
    public static JsonNode? Number(JsonObject request, string name) => request[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.DeepClone(),
        _ => throw OpenAiErrorException.Invalid(name, $"{name} must be a number."),
    };

    /// <summary>response_format as the JSON answer it asks for: null for text, else the schema (null for json_object) and its name.</summary>
    public static JsonAnswer? ResponseFormat(JsonObject request)
    {
        if (request["response_format"] is not JsonObject format) return null;
        switch (Text(format["type"]))
        {
            case "text" or null:
                return null;
            case "json_object":
                return new JsonAnswer(null, "json_answer");
            case "json_schema":
            {
                var schema = format["json_schema"] as JsonObject
                    ?? throw OpenAiErrorException.Invalid("response_format", "response_format.json_schema is required for type json_schema.");
                return new JsonAnswer(schema["schema"] as JsonObject ?? new JsonObject { ["type"] = "object" }, Text(schema["name"]) ?? "json_answer");
            }
            default:
                throw OpenAiErrorException.Invalid("response_format", "response_format.type must be text, json_object or json_schema.");
        }
    }

    /// <summary>
    /// Adds a turn (<c>{role, itemsKey: items}</c>) to a provider's conversation, or moves its items into the previous
    /// turn when that one has the same role: Anthropic and Gemini refuse two turns of one role in a row.
    /// </summary>
    public static void AppendTurn(JsonArray turns, string role, string itemsKey, JsonArray items)
    {
        if (items.Count == 0) return;
        if (turns.Count > 0 && turns[^1] is JsonObject last && Text(last["role"]) == role && last[itemsKey] is JsonArray existing)
        {
            foreach (var item in items.ToList())
            {
                items.Remove(item);
                existing.Add(item);
            }
            return;
        }
        turns.Add(new JsonObject { ["role"] = role, [itemsKey] = items });
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Seconds since the epoch, as OpenAI's <c>created</c>.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}

public abstract record ContentPart;

public sealed record TextPart(string Text) : ContentPart;

/// <summary>An image sent inline: its media type and base64 data.</summary>
public sealed record InlineImagePart(string MediaType, string Base64) : ContentPart;

/// <summary>An image by URL, with the media type its extension suggests.</summary>
public sealed record UrlImagePart(string Url, string MediaType) : ContentPart;

public sealed record ToolCall(string Id, string Name, JsonObject Arguments);

public sealed record FunctionTool(string Name, string? Description, JsonObject? Parameters);

/// <summary>A JSON answer asked by response_format: its schema (null: any JSON object) and a name for it.</summary>
public sealed record JsonAnswer(JsonObject? Schema, string Name);
