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
    public static EventArray FromGenAiMessages(object? value, SpanEvent owner)
    {
        var result = new EventArray();
        var messages = Buckets.ParseIfJson(value, owner);
        if (!EventJson.IsArray(messages)) return result;
        foreach (var message in EventJson.Items(messages))
        {
            if (message is not null && EventJson.IsObject(message)) result.Add(FromGenAiMessage(message));
        }
        return result;
    }

    private static EventObject FromGenAiMessage(object message)
    {
        var converted = new EventObject { ["role"] = EventJson.DeepClone(EventJson.Get(message, "role")) ?? "user" };
        var parts = EventJson.Get(message, "parts");
        if (!EventJson.IsArray(parts))
        {
            // Older shape: {role, content}; keep it as it is.
            foreach (var (key, item) in EventJson.Properties(message)) if (key != "role") converted[key] = EventJson.DeepClone(item);
            return converted;
        }

        var text = new StringBuilder();
        var toolCalls = new EventArray();
        foreach (var part in EventJson.Items(parts))
        {
            if (!EventJson.IsObject(part)) continue;
            switch (EventJson.AsString(EventJson.Get(part, "type")))
            {
                case "text":
                case "reasoning":
                    if (text.Length > 0) text.Append('\n');
                    text.Append(EventJson.AsString(EventJson.Get(part, "content")));
                    break;
                case "tool_call":
                    var arguments = EventJson.Get(part, "arguments");
                    toolCalls.Add(new EventObject
                    {
                        ["id"] = EventJson.DeepClone(EventJson.Get(part, "id")),
                        ["type"] = "function",
                        ["function"] = new EventObject
                        {
                            ["name"] = EventJson.DeepClone(EventJson.Get(part, "name")),
                            // Arguments travel as text, as in OpenAI's tool calls.
                            ["arguments"] = arguments is null || EventJson.IsObject(arguments) || EventJson.IsArray(arguments)
                                ? (arguments is null ? null : EventJson.ToJsonString(arguments))
                                : arguments,
                        },
                    });
                    break;
                case "tool_call_response":
                    converted["tool_call_id"] = EventJson.DeepClone(EventJson.Get(part, "id"));
                    if (text.Length > 0) text.Append('\n');
                    text.Append(EventJson.AsString(EventJson.Get(part, "response")));
                    break;
                default:
                    // Media and unknown parts are kept whole rather than flattened into text.
                    if (converted["parts"] is not EventArray kept) converted["parts"] = kept = new EventArray();
                    kept.Add(EventJson.DeepClone(part));
                    break;
            }
        }
        converted["content"] = text.ToString();
        if (toolCalls.Count > 0) converted["tool_calls"] = toolCalls;
        if (EventJson.Get(message, "finish_reason") is { } finish) converted["finish_reason"] = EventJson.DeepClone(finish);
        if (EventJson.Get(message, "name") is { } name) converted["name"] = EventJson.DeepClone(name);
        return converted;
    }

    /// <summary>
    /// Messages flattened by index (Traceloop "gen_ai.prompt.0.role", OpenInference
    /// "llm.input_messages.0.message.role") regrouped into an array ordered by index.
    /// </summary>
    public static EventArray FromIndexed(List<(string Suffix, object? Value)> flattened, string? innerPrefix = null)
    {
        var result = new EventArray();
        if (flattened.Count == 0) return result;
        var byIndex = new SortedDictionary<int, EventObject>();
        foreach (var (suffix, value) in flattened)
        {
            var dot = suffix.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(suffix.AsSpan(0, dot), out var index) || index < 0) continue;
            var path = suffix[(dot + 1)..];
            if (innerPrefix is not null && path.StartsWith(innerPrefix, StringComparison.Ordinal)) path = path[innerPrefix.Length..];
            if (!byIndex.TryGetValue(index, out var message)) byIndex[index] = message = new EventObject();
            Buckets.SetPath(message, path, value);
        }
        foreach (var message in byIndex.Values)
        {
            result.Add(Buckets.RestoreArrays(message));
        }
        return result;
    }

    /// <summary>outputs for a model event: the first choice as {role, content, ...}, all of them under choices when several.</summary>
    public static void SetOutputs(EventObject outputs, EventArray choices)
    {
        if (choices.Count == 0) return;
        if (choices.Count > 1)
        {
            // Several choices: the first one's fields at the top, all of them under "choices".
            if (choices[0] is EventObject head) foreach (var (key, value) in head) outputs[key] = EventJson.DeepClone(value);
            outputs["choices"] = choices;
            return;
        }
        if (choices[0] is EventObject first)
        {
            foreach (var (key, value) in first) outputs[key] = value;
        }
    }

    /// <summary><see cref="SetOutputs(EventObject, EventArray)"/> for events built as JSON trees (the LLM proxy's model calls).</summary>
    public static void SetOutputs(JsonObject outputs, JsonArray choices)
    {
        if (choices.Count == 0) return;
        if (choices.Count > 1)
        {
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
