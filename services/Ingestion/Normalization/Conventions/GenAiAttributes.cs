namespace HoneyHive.Ingestion.Normalization.Conventions;

/// <summary>
/// OpenTelemetry GenAI semantic conventions (v1.36 and v1.37 gen_ai.*), including the structured
/// gen_ai.input/output.messages, tool calls, and Traceloop's indexed gen_ai.prompt.N.* /
/// gen_ai.completion.N.* form.
/// </summary>
public static class GenAiAttributes
{
    private static readonly string[] Hyperparameters =
        ["temperature", "top_p", "top_k", "max_tokens", "frequency_penalty", "presence_penalty", "stop_sequences", "seed", "choice.count", "encoding_formats"];

    public static void Apply(SpanAttributes attributes, SpanEvent record)
    {
        if (attributes.TakeFirstString("gen_ai.request.model") is { } model) record.Config["model"] = model;
        if (attributes.TakeFirstString("gen_ai.provider.name", "gen_ai.system") is { } provider) record.Config["provider"] = provider;
        if (attributes.TakeString("gen_ai.operation.name") is { } operation)
        {
            record.Metadata["operation"] = operation;
            if (operation is "chat") record.Config["type"] = "chat";
            else if (operation is "text_completion") record.Config["type"] = "completion";
        }

        var hyperparameters = EventJson.AsMutableObject(record.Config["hyperparameters"]) ?? new EventObject();
        foreach (var name in Hyperparameters)
        {
            if (attributes.TryTake("gen_ai.request." + name, out var value)) hyperparameters[name.Replace('.', '_')] = value;
        }
        if (hyperparameters.Count > 0) record.Config["hyperparameters"] = hyperparameters;

        if (attributes.TryTake("gen_ai.tool.definitions", out var tools)) record.Config["tools"] = Buckets.ParseIfJson(tools, record);

        MapUsage(attributes, record);
        MapResponse(attributes, record);
        MapMessages(attributes, record);
        MapTool(attributes, record);

        if (attributes.TakeString("gen_ai.agent.name") is { } agent) record.Metadata["agent_name"] = agent;
        if (attributes.TakeString("gen_ai.agent.id") is { } agentId) record.Metadata["agent_id"] = agentId;
        if (attributes.TakeString("gen_ai.data_source.id") is { } source) record.Metadata["data_source_id"] = source;
    }

    private static void MapUsage(SpanAttributes attributes, SpanEvent record)
    {
        var prompt = attributes.TakeNumber("gen_ai.usage.input_tokens") ?? attributes.TakeNumber("gen_ai.usage.prompt_tokens");
        attributes.TakeNumber("gen_ai.usage.prompt_tokens");
        var completion = attributes.TakeNumber("gen_ai.usage.output_tokens") ?? attributes.TakeNumber("gen_ai.usage.completion_tokens");
        attributes.TakeNumber("gen_ai.usage.completion_tokens");
        var total = attributes.TakeNumber("gen_ai.usage.total_tokens") ?? attributes.TakeNumber("llm.usage.total_tokens");
        if (prompt is { } p) record.Metadata["prompt_tokens"] = p;
        if (completion is { } c) record.Metadata["completion_tokens"] = c;
        if ((total ?? prompt + completion) is { } t) record.Metadata["total_tokens"] = t;
        foreach (var (suffix, value) in attributes.TakePrefix("gen_ai.usage.")) record.Metadata[suffix.Replace('.', '_')] = value;
    }

    private static void MapResponse(SpanAttributes attributes, SpanEvent record)
    {
        if (attributes.TakeString("gen_ai.response.model") is { } model) record.Metadata["response_model"] = model;
        if (attributes.TakeString("gen_ai.response.id") is { } id) record.Metadata["response_id"] = id;
        if (attributes.TryTake("gen_ai.response.finish_reasons", out var reasons)) record.Metadata["finish_reasons"] = reasons;
        if (attributes.TakeString("gen_ai.output.type") is { } outputType) record.Metadata["output_type"] = outputType;
    }

    private static void MapMessages(SpanAttributes attributes, SpanEvent record)
    {
        var history = new EventArray();
        if (attributes.TryTake("gen_ai.system_instructions", out var system))
        {
            var parsed = Buckets.ParseIfJson(system, record);
            var text = EventJson.IsArray(parsed)
                ? string.Join('\n', EventJson.Items(parsed).Where(EventJson.IsObject).Select(p => SpanAttributes.AsString(EventJson.Get(p, "content"))))
                : SpanAttributes.AsString(system);
            history.Add(new EventObject { ["role"] = "system", ["content"] = text });
        }
        if (attributes.TryTake("gen_ai.input.messages", out var input)) history.AddRange(ChatMessages.FromGenAiMessages(input, record));
        // Traceloop / OpenLLMetry flatten messages by index.
        history.AddRange(ChatMessages.FromIndexed(attributes.TakePrefix("gen_ai.prompt.")));
        if (history.Count > 0) record.Inputs["chat_history"] = history;

        var choices = new EventArray();
        if (attributes.TryTake("gen_ai.output.messages", out var output)) choices.AddRange(ChatMessages.FromGenAiMessages(output, record));
        choices.AddRange(ChatMessages.FromIndexed(attributes.TakePrefix("gen_ai.completion.")));
        ChatMessages.SetOutputs(record.Outputs, choices);
    }

    private static void MapTool(SpanAttributes attributes, SpanEvent record)
    {
        if (attributes.TakeString("gen_ai.tool.name") is { } name)
        {
            record.Config["tool_name"] = name;
            if (record.EventName is "unknown" or "") record.EventName = name;
        }
        if (attributes.TakeString("gen_ai.tool.description") is { } description) record.Config["tool_description"] = description;
        if (attributes.TakeString("gen_ai.tool.type") is { } type) record.Config["tool_type"] = type;
        if (attributes.TakeString("gen_ai.tool.call.id") is { } callId) record.Metadata["tool_call_id"] = callId;
        if (attributes.TryTake("gen_ai.tool.call.arguments", out var arguments)) Buckets.Merge(record.Inputs, Buckets.ParseIfJson(arguments, record), "arguments");
        if (attributes.TryTake("gen_ai.tool.call.result", out var result)) Buckets.Merge(record.Outputs, Buckets.ParseIfJson(result, record), "result");
    }
}
