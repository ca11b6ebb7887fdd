using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// POST /events/model and /events/model/batch take HoneyHive's flat model-call shape (the TS SDK's
/// CreateModelEvent). This rewrites one into the generic event shape, placing each model field in
/// the bucket where HoneyHive's canonical model event keeps it, so the Writer and the query API
/// see one event model. A value already present in the target bucket wins over the flat field.
/// The rewritten event is built from the client's parsed values (<see cref="EventObject"/>) and handed
/// to <see cref="EventNormalizer"/> as JSON, like any other event.
/// </summary>
public static class ModelEventMapper
{
    // A model event sits inside the request body, so it is never deeper than the body may be (EventRequestBody).
    private static readonly JsonWriterOptions WriterOptions = new() { MaxDepth = 256 };
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

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
    public static EventObject ToEvent(JsonElement model, string path)
    {
        var evt = new EventObject();
        var config = Bucket(model, "config", path);
        var inputs = Bucket(model, "inputs", path);
        var outputs = Bucket(model, "outputs", path);
        var metadata = Bucket(model, "metadata", path);

        foreach (var property in model.EnumerateObject())
        {
            var key = property.Name;
            var value = EventJson.Leaf(property.Value);
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
                    SetIfAbsent(config, "type", "chat");
                    break;
                case "template_inputs":
                    if (property.Value.ValueKind == JsonValueKind.Object)
                        foreach (var item in property.Value.EnumerateObject()) SetIfAbsent(inputs, item.Name, EventJson.Leaf(item.Value));
                    else SetIfAbsent(inputs, "template_inputs", value);
                    break;
                case "response":
                    MapResponse(outputs, property.Value);
                    break;
                case "usage":
                    MapUsage(metadata, property.Value, path);
                    break;
                case "cost":
                    SetIfAbsent(metadata, "cost", value);
                    break;
                default:
                    evt[key] = value;
                    break;
            }
        }

        evt.SetIfNull("event_type", "model");
        evt["config"] = config;
        evt["inputs"] = inputs;
        evt["outputs"] = outputs;
        evt["metadata"] = metadata;
        return evt;
    }

    /// <summary>The rewritten event as a parsed document, the form <see cref="EventNormalizer"/> reads; the caller disposes it.</summary>
    public static JsonDocument ToEventDocument(JsonElement model, string path)
    {
        var evt = ToEvent(model, path);
        using var json = new ArrayPoolBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(json, WriterOptions)) EventJson.WriteObject(writer, evt);
        return JsonDocument.Parse(json.WrittenMemory.ToArray(), DocumentOptions);
    }

    private static void MapResponse(EventObject outputs, JsonElement response)
    {
        switch (response.ValueKind)
        {
            case JsonValueKind.Null:
                return;
            case JsonValueKind.Object:
                foreach (var property in response.EnumerateObject()) SetIfAbsent(outputs, property.Name, EventJson.Leaf(property.Value));
                return;
            default:
                SetIfAbsent(outputs, "role", "assistant");
                SetIfAbsent(outputs, "content", response);
                return;
        }
    }

    private static void MapUsage(EventObject metadata, JsonElement usage, string path)
    {
        if (usage.ValueKind == JsonValueKind.Null) return;
        if (usage.ValueKind != JsonValueKind.Object)
            throw ApiRequestException.BadRequest(EventNormalizer.Field(path, "usage"), $"'{EventNormalizer.Field(path, "usage")}' must be an object like {{\"prompt_tokens\": 10, \"completion_tokens\": 5}}, not {EventNormalizer.Kind(usage)}.");
        var prompt = Count(usage, "prompt_tokens") ?? Count(usage, "input_tokens");
        var completion = Count(usage, "completion_tokens") ?? Count(usage, "output_tokens");
        var total = Count(usage, "total_tokens") ?? (prompt is null && completion is null ? null : (prompt ?? 0) + (completion ?? 0));
        if (prompt is { } p) SetIfAbsent(metadata, "prompt_tokens", p);
        if (completion is { } c) SetIfAbsent(metadata, "completion_tokens", c);
        if (total is { } t) SetIfAbsent(metadata, "total_tokens", t);
        var rest = new EventObject();
        foreach (var property in usage.EnumerateObject())
        {
            if (property.Name is not ("prompt_tokens" or "input_tokens" or "completion_tokens" or "output_tokens" or "total_tokens"))
                rest[property.Name] = EventJson.Leaf(property.Value);
        }
        if (rest.Count > 0) SetIfAbsent(metadata, "usage", rest);
    }

    private static double? Count(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) ? EventNormalizer.Number(value) : null;

    private static EventObject Bucket(JsonElement model, string name, string path)
    {
        if (!model.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return new EventObject();
        return value.ValueKind == JsonValueKind.Object
            ? (EventObject)EventJson.Thaw(value, deep: false)!
            : throw ApiRequestException.BadRequest(EventNormalizer.Field(path, name), $"'{EventNormalizer.Field(path, name)}' must be a JSON object, not {EventNormalizer.Kind(value)}.");
    }

    private static void SetIfAbsent(EventObject bucket, string key, object? value)
    {
        if (value is null || bucket.ContainsKey(key)) return;
        bucket[key] = value;
    }
}
