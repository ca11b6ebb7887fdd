using System.Text;
using System.Text.Json.Nodes;

namespace HoneyHive.LlmProxy.Calls;

/// <summary>
/// Merges the chunks of a streamed chat completion into the completion it amounts to (<c>object: chat.completion</c>):
/// content and refusal deltas concatenated per choice, tool calls assembled by their index (name and arguments
/// concatenated), the last finish reason, and the usage chunk. What the trace records and the playground saves.
/// </summary>
public sealed class StreamAccumulator
{
    private readonly SortedDictionary<int, ChoiceParts> choices = [];
    private string? id;
    private string? model;
    private long? created;
    private string? systemFingerprint;

    public JsonObject? Usage { get; private set; }

    public void Add(JsonObject chunk)
    {
        id ??= chunk["id"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)chunk["id"] : null;
        model ??= chunk["model"] is JsonValue m && m.TryGetValue<string>(out var name) ? name : null;
        created ??= chunk["created"] is JsonValue c && c.TryGetValue<long>(out var at) ? at : null;
        systemFingerprint ??= chunk["system_fingerprint"] is JsonValue f && f.TryGetValue<string>(out var fingerprint) ? fingerprint : null;
        if (chunk["usage"] is JsonObject usage) Usage = (JsonObject)usage.DeepClone();
        if (chunk["choices"] is not JsonArray array) return;
        foreach (var node in array)
        {
            if (node is not JsonObject choice) continue;
            var index = choice["index"] is JsonValue i && i.TryGetValue<int>(out var n) ? n : 0;
            if (!choices.TryGetValue(index, out var parts)) choices[index] = parts = new ChoiceParts();
            parts.Add(choice);
        }
    }

    /// <summary>The completion so far (a stream cut off midway gives what had arrived).</summary>
    public JsonObject ToCompletion()
    {
        var completion = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray([.. choices.Select(kv => (JsonNode)kv.Value.ToChoice(kv.Key))]),
        };
        if (systemFingerprint is not null) completion["system_fingerprint"] = systemFingerprint;
        if (Usage is not null) completion["usage"] = Usage.DeepClone();
        return completion;
    }


    private sealed class ChoiceParts
    {
        private readonly StringBuilder content = new();
        private readonly StringBuilder refusal = new();
        private readonly SortedDictionary<int, ToolCallParts> toolCalls = [];
        private string role = "assistant";
        private string? finishReason;
        private bool sawContent;

        public void Add(JsonObject choice)
        {
            if (choice["finish_reason"] is JsonValue finish && finish.TryGetValue<string>(out var reason)) finishReason = reason;
            if (choice["delta"] is not JsonObject delta) return;
            if (delta["role"] is JsonValue r && r.TryGetValue<string>(out var roleName)) role = roleName;
            if (delta["content"] is JsonValue text && text.TryGetValue<string>(out var piece))
            {
                content.Append(piece);
                sawContent = true;
            }
            if (delta["refusal"] is JsonValue refused && refused.TryGetValue<string>(out var refusalPiece)) refusal.Append(refusalPiece);
            if (delta["tool_calls"] is not JsonArray calls) return;
            foreach (var node in calls)
            {
                if (node is not JsonObject call) continue;
                var index = call["index"] is JsonValue i && i.TryGetValue<int>(out var n) ? n : toolCalls.Count;
                if (!toolCalls.TryGetValue(index, out var parts)) toolCalls[index] = parts = new ToolCallParts();
                parts.Add(call);
            }
        }

        public JsonObject ToChoice(int index)
        {
            var message = new JsonObject
            {
                ["role"] = role,
                ["content"] = sawContent || toolCalls.Count == 0 ? content.ToString() : null,
            };
            if (refusal.Length > 0) message["refusal"] = refusal.ToString();
            if (toolCalls.Count > 0) message["tool_calls"] = new JsonArray([.. toolCalls.Values.Select(t => (JsonNode)t.ToJson())]);
            return new JsonObject { ["index"] = index, ["message"] = message, ["finish_reason"] = finishReason };
        }
    }

    private sealed class ToolCallParts
    {
        private readonly StringBuilder name = new();
        private readonly StringBuilder arguments = new();
        private string? id;
        private string type = "function";

        public void Add(JsonObject call)
        {
            if (call["id"] is JsonValue i && i.TryGetValue<string>(out var callId) && callId.Length > 0) id = callId;
            if (call["type"] is JsonValue t && t.TryGetValue<string>(out var callType)) type = callType;
            if (call["function"] is not JsonObject function) return;
            if (function["name"] is JsonValue n && n.TryGetValue<string>(out var namePiece)) name.Append(namePiece);
            if (function["arguments"] is JsonValue a && a.TryGetValue<string>(out var argumentsPiece)) arguments.Append(argumentsPiece);
        }

        public JsonObject ToJson() => new()
        {
            ["id"] = id,
            ["type"] = type,
            ["function"] = new JsonObject { ["name"] = name.ToString(), ["arguments"] = arguments.ToString() },
        };
    }
}
