namespace HoneyHive.Ingestion.Normalization.Conventions;

/// <summary>OpenInference (Arize Phoenix): llm.*, input.value / output.value, tool.*, retrieval, embeddings.</summary>
public static class OpenInferenceAttributes
{
    public static void Apply(SpanAttributes attributes, SpanEvent record)
    {
        if (attributes.TakeString("llm.model_name") is { } model) record.Config.SetIfNull("model", model);
        if (attributes.TakeFirstString("llm.provider", "llm.system") is { } provider) record.Config.SetIfNull("provider", provider);
        if (attributes.TryTake("llm.invocation_parameters", out var parameters) && Buckets.ParseIfJson(parameters, record) is var invocation && EventJson.IsObject(invocation))
        {
            var hyperparameters = EventJson.AsMutableObject(record.Config["hyperparameters"]) ?? new EventObject();
            Buckets.Merge(hyperparameters, invocation, "value");
            record.Config["hyperparameters"] = hyperparameters;
        }
        if (attributes.TryTake("llm.tools", out var tools)) record.Config["tools"] = Buckets.ParseIfJson(tools, record);
        foreach (var (suffix, value) in attributes.TakePrefix("llm.prompt_template.")) record.Config["prompt_template_" + suffix.Replace('.', '_')] = Buckets.ParseIfJson(value, record);

        if (attributes.TakeNumber("llm.token_count.prompt") is { } prompt) record.Metadata["prompt_tokens"] = prompt;
        if (attributes.TakeNumber("llm.token_count.completion") is { } completion) record.Metadata["completion_tokens"] = completion;
        if (attributes.TakeNumber("llm.token_count.total") is { } total) record.Metadata["total_tokens"] = total;
        foreach (var (suffix, value) in attributes.TakePrefix("llm.token_count.")) record.Metadata["tokens_" + suffix.Replace('.', '_')] = value;

        var history = ChatMessages.FromIndexed(attributes.TakePrefix("llm.input_messages."), "message.");
        if (history.Count > 0) record.Inputs["chat_history"] = history;
        ChatMessages.SetOutputs(record.Outputs, ChatMessages.FromIndexed(attributes.TakePrefix("llm.output_messages."), "message."));

        MapValue(attributes, record, "input", record.Inputs);
        MapValue(attributes, record, "output", record.Outputs);

        if (attributes.TakeString("tool.name") is { } toolName)
        {
            record.Config["tool_name"] = toolName;
            if (record.EventName is "unknown" or "") record.EventName = toolName;
        }
        if (attributes.TakeString("tool.description") is { } toolDescription) record.Config["tool_description"] = toolDescription;
        if (attributes.TryTake("tool.parameters", out var toolParameters)) record.Config["tool_parameters"] = Buckets.ParseIfJson(toolParameters, record);
        var toolCall = attributes.TakePrefix("tool_call.");
        foreach (var (suffix, value) in toolCall)
        {
            if (suffix == "function.arguments") Buckets.Merge(record.Inputs, Buckets.ParseIfJson(value, record), "arguments");
            else record.Metadata["tool_call_" + suffix.Replace('.', '_')] = value;
        }

        var documents = ChatMessages.FromIndexed(attributes.TakePrefix("retrieval.documents."), "document.");
        if (documents.Count > 0) record.Outputs["documents"] = documents;
        var embeddings = ChatMessages.FromIndexed(attributes.TakePrefix("embedding.embeddings."), "embedding.");
        if (embeddings.Count > 0) record.Outputs["embeddings"] = embeddings;
        if (attributes.TakeString("embedding.model_name") is { } embeddingModel) record.Config.SetIfNull("model", embeddingModel);

        if (attributes.TakeString("user.id") is { } userId) record.UserProperties.SetIfNull("user_id", userId);
        if (attributes.TryTake("metadata", out var metadata)) Buckets.Merge(record.Metadata, Buckets.ParseIfJson(metadata, record), "openinference_metadata");
        if (attributes.TryTake("tag.tags", out var tags)) record.Metadata["tags"] = tags;
    }

    /// <summary>input.value with input.mime_type: JSON objects merge into the bucket, text lands under "input"/"output".</summary>
    private static void MapValue(SpanAttributes attributes, SpanEvent record, string name, EventObject bucket)
    {
        var mime = attributes.TakeString(name + ".mime_type");
        if (!attributes.TryTake(name + ".value", out var value)) return;
        var parsed = mime is null or "application/json" ? Buckets.ParseIfJson(value, record) : value;
        if (EventJson.IsObject(parsed)) Buckets.Merge(bucket, parsed, name);
        else if (!bucket.ContainsKey(name) && (name != "output" || !bucket.ContainsKey("content"))) bucket[name] = parsed;
    }
}
