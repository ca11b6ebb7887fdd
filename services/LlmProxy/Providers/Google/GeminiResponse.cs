using System.Text;
using System.Text.Json.Nodes;
using static HoneyHive.LlmProxy.Providers.OpenAiShapes;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>A Gemini <c>GenerateContentResponse</c> as an OpenAI chat completion: one choice per candidate.</summary>
public static class GeminiResponse
{
    public static JsonObject ToCompletion(JsonObject response, string model)
    {
        var choices = new JsonArray();
        var candidates = response["candidates"] as JsonArray ?? [];
        foreach (var node in candidates)
        {
            if (node is not JsonObject candidate) continue;
            var index = (int)Long(candidate["index"]);
            var (text, calls) = Read(candidate, index, 0);
            var toolCalls = new JsonArray([.. calls.Select(c => (JsonNode)ToolCall(c.Id, c.Name, c.Arguments))]);
            choices.Add(new JsonObject
            {
                ["index"] = index,
                ["message"] = Message(text, toolCalls),
                ["finish_reason"] = FinishReason(OpenAiMessages.Text(candidate["finishReason"]), toolCalls.Count > 0),
            });
        }
        // A prompt blocked by safety settings has no candidates, only promptFeedback.blockReason.
        if (choices.Count == 0)
            choices.Add(new JsonObject { ["index"] = 0, ["message"] = Message("", []), ["finish_reason"] = "content_filter" });
        return Completion(Id(response), ModelOf(response, model), OpenAiMessages.Now(), choices, Usage(response));
    }

    /// <summary>The text and function calls of a candidate's parts; thought parts are the model's reasoning, not its answer.</summary>
    public static (string Text, List<(string Id, string Name, string Arguments)> Calls) Read(JsonObject candidate, int index, int callsBefore)
    {
        var text = new StringBuilder();
        var calls = new List<(string, string, string)>();
        foreach (var part in candidate["content"]?["parts"] as JsonArray ?? [])
        {
            if (part is not JsonObject p || p["thought"] is JsonValue thought && thought.TryGetValue<bool>(out var isThought) && isThought) continue;
            if (OpenAiMessages.Text(p["text"]) is { } piece) text.Append(piece);
            if (p["functionCall"] is JsonObject call)
            {
                // Vertex gives calls no id; OpenAI's tool messages answer one by id, so each gets a stable one.
                var id = OpenAiMessages.Text(call["id"]) ?? $"call_{index}_{callsBefore + calls.Count}";
                calls.Add((id, OpenAiMessages.Text(call["name"]) ?? "", (call["args"] ?? new JsonObject()).ToJsonString()));
            }
        }
        return (text.ToString(), calls);
    }

    public static string? FinishReason(string? reason, bool calledFunction) => reason switch
    {
        null or "FINISH_REASON_UNSPECIFIED" => null,
        _ when calledFunction => "tool_calls",
        "STOP" => "stop",
        "MAX_TOKENS" => "length",
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => "content_filter",
        _ => "stop",
    };

    /// <summary>usageMetadata as OpenAI usage; thinking tokens count as completion tokens, as OpenAI's reasoning tokens do.</summary>
    public static JsonObject? Usage(JsonObject response)
    {
        if (response["usageMetadata"] is not JsonObject usage) return null;
        var thoughts = Long(usage["thoughtsTokenCount"]);
        return OpenAiShapes.Usage(Long(usage["promptTokenCount"]), Long(usage["candidatesTokenCount"]) + thoughts,
            Long(usage["cachedContentTokenCount"]), thoughts);
    }

    public static string Id(JsonObject response) => OpenAiMessages.Text(response["responseId"]) ?? "gemini-" + Guid.NewGuid().ToString("N");

    public static string ModelOf(JsonObject response, string model) => OpenAiMessages.Text(response["modelVersion"]) ?? model;
}
