using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// POST /events/model and /events/model/batch take HoneyHive's flat model-call shape (the TS SDK's
/// CreateModelEvent). This rewrites one into the generic event shape, placing each model field in
/// the bucket where HoneyHive's canonical model event keeps it, so the Writer and the query API
/// see one event model. A value already present in the target bucket wins over the flat field.
/// </summary>
public static class ModelEventMapper
{
    /// <summary>
    /// Field → destination:
    /// model (or model_name) → config.model; model_version → config.version; provider → config.provider;
    /// hyperparameters → config.hyperparameters; template → config.template; tools → config.tools;
    /// tool_choice → config.tool_choice; response_format → config.response_format;
    /// messages → inputs.chat_history (and config.type "chat"); template_inputs → merged into inputs
    /// (a non-object is kept as inputs.template_inputs); response → outputs (an object's role/content
    /// become outputs.role/outputs.content; other values outputs.content);
    /// usage.prompt_tokens|input_tokens → metadata.prompt_tokens, usage.completion_tokens|output_tokens
    /// → metadata.completion_tokens, usage.total_tokens (or their sum) → metadata.total_tokens, other
    /// usage keys → metadata.usage; cost → metadata.cost; duration and error stay the event's own
    /// fields; event_type defaults to "model". Everything else passes through unchanged.
    /// </summary>
    public static JsonObject ToEvent(JsonObject model, string path)
    {
        var evt = new JsonObject();
        var config = Bucket(model, "config", path);
        var inputs = Bucket(model, "inputs", path);
        var outputs = Bucket(model, "outputs", path);
        var metadata = Bucket(model, "metadata", path);

        foreach (var (key, value) in model)
        {
            switch (key)
            {
                case "config" or "inputs" or "outputs" or "metadata":
                    break;
                case "model" or "model_name":
                    SetIfAbsent(config, "model", value);
                    break;
                case "model_version":
                    SetIfAbsent(config, "version", value);
                    break;
                case "provider" or "hyperparameters" or "template" or "tools" or "tool_choice" or "response_format":
                    SetIfAbsent(config, key, value);
                    break;
                case "messages":
                    SetIfAbsent(inputs, "chat_history", value);
                    SetIfAbsent(config, "type", JsonValue.Create("chat"));
                    break;
                case "template_inputs":
                    if (value is JsonObject templateInputs)
                        foreach (var (name, item) in templateInputs) SetIfAbsent(inputs, name, item);
                    else SetIfAbsent(inputs, "template_inputs", value);
                    break;
                case "response":
                    MapResponse(outputs, value);
                    break;
                case "usage":
                    MapUsage(metadata, value, path);
                    break;
                case "cost":
                    SetIfAbsent(metadata, "cost", value);
                    break;
                default:
                    evt[key] = value?.DeepClone();
                    break;
            }
        }

        evt["event_type"] ??= JsonValue.Create("model");
        evt["config"] = config;
        evt["inputs"] = inputs;
        evt["outputs"] = outputs;
        evt["metadata"] = metadata;
        return evt;
    }

    private static void MapResponse(JsonObject outputs, JsonNode? response)
    {
        switch (response)
        {
            case null:
                return;
            case JsonObject obj:
                foreach (var (key, value) in obj) SetIfAbsent(outputs, key, value);
                return;
            default:
                SetIfAbsent(outputs, "role", JsonValue.Create("assistant"));
                SetIfAbsent(outputs, "content", response);
                return;
        }
    }

    private static void MapUsage(JsonObject metadata, JsonNode? usage, string path)
    {
        if (usage is null) return;
        if (usage is not JsonObject counts)
            throw ApiRequestException.BadRequest(EventNormalizer.Field(path, "usage"), $"'{EventNormalizer.Field(path, "usage")}' must be an object like {{\"prompt_tokens\": 10, \"completion_tokens\": 5}}, not {EventNormalizer.Kind(usage)}.");
        var prompt = EventNormalizer.Number(counts["prompt_tokens"]) ?? EventNormalizer.Number(counts["input_tokens"]);
        var completion = EventNormalizer.Number(counts["completion_tokens"]) ?? EventNormalizer.Number(counts["output_tokens"]);
        var total = EventNormalizer.Number(counts["total_tokens"]) ?? (prompt is null && completion is null ? null : (prompt ?? 0) + (completion ?? 0));
        if (prompt is { } p) SetIfAbsent(metadata, "prompt_tokens", JsonValue.Create(p));
        if (completion is { } c) SetIfAbsent(metadata, "completion_tokens", JsonValue.Create(c));
        if (total is { } t) SetIfAbsent(metadata, "total_tokens", JsonValue.Create(t));
        var rest = new JsonObject();
        foreach (var (key, value) in counts)
        {
            if (key is not ("prompt_tokens" or "input_tokens" or "completion_tokens" or "output_tokens" or "total_tokens"))
                rest[key] = value?.DeepClone();
        }
        if (rest.Count > 0) SetIfAbsent(metadata, "usage", rest);
    }

    private static JsonObject Bucket(JsonObject model, string name, string path) => model[name] switch
    {
        null => [],
        JsonObject obj => (JsonObject)obj.DeepClone(),
        var other => throw ApiRequestException.BadRequest(EventNormalizer.Field(path, name), $"'{EventNormalizer.Field(path, name)}' must be a JSON object, not {EventNormalizer.Kind(other)}."),
    };

    private static void SetIfAbsent(JsonObject bucket, string key, JsonNode? value)
    {
        if (value is null || bucket.ContainsKey(key)) return;
        bucket[key] = value.Parent is null ? value : value.DeepClone();
    }
}
