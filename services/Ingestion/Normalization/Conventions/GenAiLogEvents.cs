namespace HoneyHive.Ingestion.Normalization.Conventions;

/// <summary>A chat message a GenAI event contributes to its span: to inputs.chat_history, or a choice (outputs).</summary>
public readonly record struct GenAiLogMessage(bool IsChoice, int? Index, EventObject Message);

/// <summary>
/// The GenAI semantic conventions' events (OTLP log records named gen_ai.*.message and gen_ai.choice up to
/// v1.36, gen_ai.client.inference.operation.details from v1.37) as HoneyHive chat messages. Bodies are
/// AnyValue maps; a body that is not a map (ILogger-based SDKs, which write a text body) is read from the
/// record's attributes of the same names instead.
/// </summary>
public static class GenAiLogEvents
{
    public const string SystemMessage = "gen_ai.system.message";
    public const string UserMessage = "gen_ai.user.message";
    public const string AssistantMessage = "gen_ai.assistant.message";
    public const string ToolMessage = "gen_ai.tool.message";
    public const string Choice = "gen_ai.choice";
    public const string OperationDetails = "gen_ai.client.inference.operation.details";

    private static readonly string[] BodyFields = ["role", "content", "tool_calls", "id", "tool_call_id", "index", "finish_reason", "message"];

    public static bool IsGenAiEvent(string name) =>
        name is SystemMessage or UserMessage or AssistantMessage or ToolMessage or Choice or OperationDetails;

    /// <summary>The event's messages in order; <paramref name="attributes"/> loses the keys read.</summary>
    public static List<GenAiLogMessage> Map(string name, object? body, SpanAttributes attributes, SpanEvent owner)
    {
        if (name == OperationDetails) return MapDetails(body, attributes, owner);
        var fields = EventJson.IsObject(body) ? body : FromAttributes(attributes, owner);
        if (name == Choice)
        {
            var message = EventJson.Get(fields, "message");
            var choice = Message(EventJson.IsObject(message) ? message : new EventObject(), "assistant");
            if (EventJson.Get(fields, "finish_reason") is { } finish) choice["finish_reason"] = EventJson.DeepClone(finish);
            var index = EventJson.AsNumber(EventJson.Get(fields, "index")) is { } i ? (int)i : 0;
            return [new GenAiLogMessage(true, index, choice)];
        }

        var role = name switch { SystemMessage => "system", UserMessage => "user", AssistantMessage => "assistant", _ => "tool" };
        return [new GenAiLogMessage(false, null, Message(fields, role))];
    }

    /// <summary>{role, content, tool_calls?, tool_call_id?} from a v1.36 event body or choice message.</summary>
    private static EventObject Message(object? fields, string defaultRole)
    {
        var message = new EventObject
        {
            ["role"] = EventJson.AsString(EventJson.Get(fields, "role")) is { Length: > 0 } role ? role : defaultRole,
            ["content"] = EventJson.DeepClone(EventJson.Get(fields, "content")),
        };
        if (EventJson.Get(fields, "tool_calls") is { } calls && EventJson.IsArray(calls))
        {
            var toolCalls = new EventArray();
            foreach (var call in EventJson.Items(calls).Where(EventJson.IsObject))
            {
                var function = EventJson.Get(call, "function");
                var arguments = EventJson.Get(function, "arguments");
                toolCalls.Add(new EventObject
                {
                    ["id"] = EventJson.DeepClone(EventJson.Get(call, "id")),
                    ["type"] = EventJson.AsString(EventJson.Get(call, "type")) ?? "function",
                    ["function"] = new EventObject
                    {
                        ["name"] = EventJson.DeepClone(EventJson.Get(function, "name")),
                        // Arguments travel as text, as in OpenAI's tool calls; instrumentations send either.
                        ["arguments"] = EventJson.IsObject(arguments) || EventJson.IsArray(arguments) ? EventJson.ToJsonString(arguments) : EventJson.DeepClone(arguments),
                    },
                });
            }
            message["tool_calls"] = toolCalls;
        }
        // gen_ai.tool.message names the call it answers "id".
        if ((EventJson.Get(fields, "tool_call_id") ?? (defaultRole == "tool" ? EventJson.Get(fields, "id") : null)) is { } callId)
            message["tool_call_id"] = EventJson.DeepClone(callId);
        return message;
    }

    /// <summary>v1.37: system instructions and input messages into the history, output messages as choices in order.</summary>
    private static List<GenAiLogMessage> MapDetails(object? body, SpanAttributes attributes, SpanEvent owner)
    {
        object? Field(string key) => attributes.TryTake(key, out var value) ? value : EventJson.Get(body, key);
        var result = new List<GenAiLogMessage>();
        if (Field("gen_ai.system_instructions") is { } system)
        {
            var parsed = Buckets.ParseIfJson(system, owner);
            var text = EventJson.IsArray(parsed)
                ? string.Join('\n', EventJson.Items(parsed).Where(EventJson.IsObject).Select(p => EventJson.AsString(EventJson.Get(p, "content"))))
                : EventJson.AsString(system);
            result.Add(new GenAiLogMessage(false, null, new EventObject { ["role"] = "system", ["content"] = text }));
        }
        if (Field("gen_ai.input.messages") is { } input)
        {
            foreach (var message in ChatMessages.FromGenAiMessages(input, owner)) result.Add(new GenAiLogMessage(false, null, (EventObject)message!));
        }
        if (Field("gen_ai.output.messages") is { } output)
        {
            var index = 0;
            foreach (var message in ChatMessages.FromGenAiMessages(output, owner)) result.Add(new GenAiLogMessage(true, index++, (EventObject)message!));
        }
        return result;
    }

    private static EventObject FromAttributes(SpanAttributes attributes, SpanEvent owner)
    {
        var fields = new EventObject();
        foreach (var key in BodyFields)
        {
            // Structured fields arrive as JSON text in a text-only attribute.
            if (attributes.TryTake(key, out var value)) fields[key] = key is "tool_calls" or "message" ? Buckets.ParseIfJson(value, owner) : value;
        }
        return fields;
    }
}
