using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

/// <summary>
/// The Converse request rules the fake enforces as Bedrock does (its ValidationException): the documented top-level
/// fields only, roles user and assistant alternating, each content block one of the documented kinds with its
/// required fields, image bytes that decode, toolUse input that is an object, tool specs with a JSON input schema.
/// </summary>
public static class ConverseShape
{
    private static readonly HashSet<string> TopLevel =
        ["messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths", "promptVariables", "requestMetadata", "performanceConfig"];

    private static readonly HashSet<string> Inference = ["maxTokens", "temperature", "topP", "stopSequences"];

    /// <summary>Null when the body is a valid Converse request, else the reason Bedrock would give.</summary>
    public static string? Problem(JsonObject body)
    {
        if (body.Select(p => p.Key).FirstOrDefault(k => !TopLevel.Contains(k)) is { } unknown) return $"Unknown field '{unknown}'.";
        if (body["messages"] is not JsonArray { Count: > 0 } messages) return "messages must be a non-empty list.";
        string? previous = null;
        foreach (var message in messages)
        {
            var role = message?["role"]?.ToString();
            if (role is not ("user" or "assistant")) return $"Role '{role}' is not user or assistant.";
            if (role == previous) return "A conversation must alternate between user and assistant roles.";
            previous = role;
            if (message!["content"] is not JsonArray { Count: > 0 } content) return "A message must have content.";
            foreach (var block in content) if (Block(block as JsonObject) is { } problem) return problem;
        }
        if (body["system"] is JsonNode system && (system is not JsonArray blocks || blocks.Any(b => b?["text"] is null)))
            return "system must be a list of text blocks.";
        if (body["inferenceConfig"] is JsonObject inference && inference.Select(p => p.Key).FirstOrDefault(k => !Inference.Contains(k)) is { } field)
            return $"Unknown inferenceConfig field '{field}'.";
        if (body["toolConfig"] is JsonObject toolConfig)
        {
            if (toolConfig["tools"] is not JsonArray { Count: > 0 } tools) return "toolConfig.tools must be a non-empty list.";
            if (tools.Any(t => t?["toolSpec"]?["name"] is null || t["toolSpec"]!["inputSchema"]?["json"] is not JsonObject))
                return "Each tool needs toolSpec.name and toolSpec.inputSchema.json.";
            if (toolConfig["toolChoice"] is JsonObject choice && (choice.Count != 1 || choice.First().Key is not ("auto" or "any" or "tool")))
                return "toolChoice must be one of auto, any, tool.";
        }
        return null;
    }

    private static string? Block(JsonObject? block)
    {
        if (block is null || block.Count != 1) return "A content block must have exactly one member.";
        var (kind, value) = block.First();
        switch (kind)
        {
            case "text":
                return value?.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Trim().Length > 0 ? null : "A text block must not be blank.";
            case "image":
                if (value?["format"]?.ToString() is not ("png" or "jpeg" or "gif" or "webp")) return "Image format must be png, jpeg, gif or webp.";
                var bytes = value["source"]?["bytes"]?.ToString();
                return bytes is not null && Convert.TryFromBase64String(bytes, new byte[bytes.Length], out _) ? null : "Image source bytes must be base64.";
            case "toolUse":
                return value?["toolUseId"] is null || value["name"] is null || value["input"] is not JsonObject ? "toolUse needs toolUseId, name and an object input." : null;
            case "toolResult":
                return value?["toolUseId"] is null || value["content"] is not JsonArray { Count: > 0 } results
                    || results.Any(r => r is not JsonObject { Count: 1 } one || one.First().Key is not ("text" or "json"))
                    ? "toolResult needs toolUseId and content of text or json blocks." : null;
            default:
                return $"Unknown content block '{kind}'.";
        }
    }
}
