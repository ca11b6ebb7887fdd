using System.Text;
using System.Text.Json.Nodes;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// Chat messages in HoneyHive's shape ({role, content, tool_calls?, tool_call_id?}) from the
/// GenAI semantic conventions' structured messages ({role, parts:[{type, content|...}]}).
/// </summary>
public static class ChatMessages
{
    /// <summary>A gen_ai.input/output.messages value (JSON text or array) as HoneyHive messages.</summary>
    public static JsonArray FromGenAiMessages(JsonNode? value)
    {
        var result = new JsonArray();
        if (Buckets.ParseIfJson(value) is not JsonArray messages) return result;
        foreach (var message in messages.OfType<JsonObject>())
        {
            result.Add(FromGenAiMessage(message));
        }
        return result;
    }

    private static JsonObject FromGenAiMessage(JsonObject message)
    {
        var converted = new JsonObject { ["role"] = message["role"]?.DeepClone() ?? "user" };
        if (message["parts"] is not JsonArray parts)
        {
            // Older shape: {role, content}; keep it as it is.
            foreach (var (key, item) in message) if (key != "role") converted[key] = item?.DeepClone();
            return converted;
        }

        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        foreach (var part in parts.OfType<JsonObject>())
        {
            switch (SpanAttributes.AsString(part["type"]))
            {
                case "text":
                case "reasoning":
                    if (text.Length > 0) text.Append('\n');
                    text.Append(SpanAttributes.AsString(part["content"]));
                    break;
                case "tool_call":
                    toolCalls.Add(new JsonObject
                    {
                        ["id"] = part["id"]?.DeepClone(),
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = part["name"]?.DeepClone(),
                            ["arguments"] = part["arguments"] is JsonValue v ? v.DeepClone() : JsonValue.Create(part["arguments"]?.ToJsonString()),
                        },
                    });
                    break;
                case "tool_call_response":
                    converted["tool_call_id"] = part["id"]?.DeepClone();
                    if (text.Length > 0) text.Append('\n');
                    text.Append(SpanAttributes.AsString(part["response"]));
                    break;
                default:
                    // Media and unknown parts are kept whole rather than flattened into text.
                    (converted["parts"] as JsonArray ?? (JsonArray)(converted["parts"] = new JsonArray())).Add(part.DeepClone());
                    break;
            }
        }
        converted["content"] = text.ToString();
        if (toolCalls.Count > 0) converted["tool_calls"] = toolCalls;
        if (message["finish_reason"] is { } finish) converted["finish_reason"] = finish.DeepClone();
        if (message["name"] is { } name) converted["name"] = name.DeepClone();
        return converted;
    }

    /// <summary>
    /// Messages flattened by index (Traceloop "gen_ai.prompt.0.role", OpenInference
    /// "llm.input_messages.0.message.role") regrouped into an array ordered by index.
    /// </summary>
    public static JsonArray FromIndexed(IEnumerable<(string Suffix, JsonNode? Value)> flattened, string? innerPrefix = null)
    {
        var byIndex = new SortedDictionary<int, JsonObject>();
        foreach (var (suffix, value) in flattened)
        {
            var dot = suffix.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(suffix.AsSpan(0, dot), out var index) || index < 0) continue;
            var path = suffix[(dot + 1)..];
            if (innerPrefix is not null && path.StartsWith(innerPrefix, StringComparison.Ordinal)) path = path[innerPrefix.Length..];
            if (!byIndex.TryGetValue(index, out var message)) byIndex[index] = message = new JsonObject();
            Buckets.SetPath(message, path, value);
        }
        var result = new JsonArray();
        foreach (var message in byIndex.Values)
        {
            result.Add(Buckets.RestoreArrays(message));
        }
        return result;
    }

    /// <summary>Moves every message from one array to another without copying them.</summary>
    public static void MoveInto(JsonArray from, JsonArray to)
    {
        var items = from.ToArray();
        from.Clear();
        foreach (var item in items) to.Add(item);
    }

    /// <summary>outputs for a model event: the first choice as {role, content, ...}, all of them under choices when several.</summary>
    public static void SetOutputs(JsonObject outputs, JsonArray choices)
    {
        if (choices.Count == 0) return;
        if (choices.Count > 1)
        {
            // Several choices: the first one's fields at the top, all of them under "choices".
            if (choices[0] is JsonObject head) foreach (var (key, value) in head) outputs[key] = value?.DeepClone();
            outputs["choices"] = choices;
            return;
        }
        if (choices[0] is JsonObject first)
        {
            var fields = first.ToList();
            first.Clear();
            foreach (var (key, value) in fields) outputs[key] = value;
        }
    }
}
