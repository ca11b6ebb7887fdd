using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.LlmProxy.Calls;

namespace HoneyHive.LlmProxy.Tracing;

/// <summary>
/// A finished call as the <c>model</c> event ingestion would have made of it, in HoneyHive's canonical buckets (the
/// same places <see cref="ModelEventMapper"/> puts a flat model event): the messages in <c>inputs.chat_history</c>, the
/// answer in <c>outputs</c> (role, content, tool_calls), provider, model, hyperparameters and tools in <c>config</c>,
/// and the tokens in <c>metadata.prompt_tokens</c>/<c>completion_tokens</c>/<c>total_tokens</c> next to
/// <c>config.model</c>, which is where the Writer's price table looks for them to compute <c>metadata.cost</c>.
/// </summary>
public static class ModelCallEvents
{
    public const string ProxySource = "llm-proxy";
    public const string PlaygroundSource = "playground";

    /// <summary>Request fields that have a bucket of their own; every other field is a hyperparameter.</summary>
    private static readonly HashSet<string> NotHyperparameters = new(StringComparer.Ordinal)
    {
        "model", "messages", "input", "stream", "stream_options", "tools", "tool_choice", "functions", "function_call",
        "response_format", "user", "metadata", "store",
    };

    /// <summary>Inputs and outputs together stay under this many characters: the message log takes about 1 MiB per message.</summary>
    public const int MaxBucketChars = 300_000;

    public static EventRecord From(ModelCall call, IngestLimits limits)
    {
        var scope = call.Scope;
        var links = TraceLinks.For(scope);
        var provider = call.Target?.Provider;
        var record = new EventRecord
        {
            EventId = Given(scope.EventId) ?? Guid.CreateVersion7().ToString(),
            ProjectId = scope.ProjectId.ToString(),
            WorkspaceId = scope.WorkspaceId.ToString(),
            OrgId = scope.OrgId == Guid.Empty ? "" : scope.OrgId.ToString(),
            SessionId = links.SessionId,
            ParentId = Given(scope.ParentId) ?? links.ParentId,
            EventType = "model",
            EventName = (provider ?? ProxySource) + (call.Operation == ModelOperation.Embeddings ? ".embeddings" : ".chat"),
            Source = scope.ConfigurationId is null ? ProxySource : PlaygroundSource,
            StartTime = call.StartedAt,
            EndTime = Math.Max(call.EndedAt, call.StartedAt),
            Duration = Math.Max(0, call.EndedAt - call.StartedAt),
            Error = call.Error?.Message,
            Inputs = Inputs(call),
            Outputs = Outputs(call),
            Config = Config(call),
            Metadata = Metadata(call, links),
        };

        var truncation = new Truncation();
        record.Inputs = JsonSanitizer.CleanObject(record.Inputs, limits, truncation, "inputs");
        record.Outputs = JsonSanitizer.CleanObject(record.Outputs, limits, truncation, "outputs");
        record.Config = JsonSanitizer.CleanObject(record.Config, limits, truncation, "config");
        record.Metadata = JsonSanitizer.CleanObject(record.Metadata, limits, truncation, "metadata");
        record.Inputs = Bounded(record.Inputs, "inputs", truncation);
        record.Outputs = Bounded(record.Outputs, "outputs", truncation);
        truncation.WriteTo(record.Metadata);
        return record;
    }

    private static string? Given(string? id) => id is { } value && value.Trim().Length > 0 ? value.Trim() : null;

    private static JsonObject Inputs(ModelCall call)
    {
        var request = call.Request;
        if (call.Operation == ModelOperation.Embeddings) return new JsonObject { ["input"] = request["input"]?.DeepClone() };
        return new JsonObject { ["chat_history"] = request["messages"]?.DeepClone() ?? new JsonArray() };
    }

    private static JsonObject Outputs(ModelCall call)
    {
        var outputs = new JsonObject();
        if (call.Response is not { } response) return outputs;
        if (call.Operation == ModelOperation.Embeddings)
        {
            var data = response["data"] as JsonArray;
            outputs["embeddings"] = data?.Count ?? 0;
            if (data?.FirstOrDefault()?["embedding"] is JsonArray vector) outputs["dimensions"] = vector.Count;
            return outputs;
        }
        var choices = new JsonArray();
        foreach (var choice in (response["choices"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var message = choice["message"] as JsonObject ?? [];
            var output = new JsonObject { ["role"] = message["role"]?.DeepClone() ?? "assistant", ["content"] = message["content"]?.DeepClone() };
            foreach (var key in new[] { "tool_calls", "refusal", "function_call" })
            {
                if (message[key] is { } value) output[key] = value.DeepClone();
            }
            if (choice["finish_reason"] is { } finish) output["finish_reason"] = finish.DeepClone();
            choices.Add(output);
        }
        ChatMessages.SetOutputs(outputs, choices);
        return outputs;
    }

    private static JsonObject Config(ModelCall call)
    {
        var request = call.Request;
        var config = new JsonObject
        {
            ["provider"] = call.Target?.Provider,
            ["model"] = call.Target?.Model ?? call.RequestedModel,
            ["type"] = call.Operation == ModelOperation.Embeddings ? "embedding" : "chat",
        };
        var hyperparameters = new JsonObject();
        foreach (var (key, value) in request)
        {
            if (!NotHyperparameters.Contains(key)) hyperparameters[key] = value?.DeepClone();
        }
        config["hyperparameters"] = hyperparameters;
        foreach (var key in new[] { "tools", "tool_choice", "functions", "function_call", "response_format" })
        {
            if (request[key] is { } value) config[key] = value.DeepClone();
        }
        return config;
    }

    private static JsonObject Metadata(ModelCall call, TraceLinks links)
    {
        var metadata = new JsonObject
        {
            ["requested_model"] = call.RequestedModel,
            ["target"] = call.Target?.ToString(),
            ["attempts"] = call.Attempts,
            ["streamed"] = call.Streamed,
            ["cancelled"] = call.Cancelled,
        };
        if (call.Response?["usage"] is JsonObject usage) MapUsage(usage, metadata);
        if (call.Response?["model"] is JsonValue answered && answered.TryGetValue<string>(out var responseModel)) metadata["response_model"] = responseModel;
        if (call.Response?["id"] is JsonValue id && id.TryGetValue<string>(out var responseId)) metadata["response_id"] = responseId;
        if (call.FirstChunkAt is { } first) metadata["time_to_first_token"] = Math.Max(0, first - call.StartedAt);
        if (call.Error is { } error)
        {
            metadata["status_code"] = error.Status;
            metadata["error_type"] = error.Type;
        }
        if (links.TraceId is not null)
        {
            metadata["trace_id"] = links.TraceId;
            metadata["parent_span_id"] = links.ParentSpanId;
        }
        if (call.Scope.ConfigurationId is { } configuration)
        {
            metadata["configuration_id"] = configuration;
            if (call.Scope.ConfigurationVersion is { } version) metadata["configuration_version"] = version;
        }
        if (call.Request["user"] is { } user) metadata["user"] = user.DeepClone();
        if (call.Request["metadata"] is JsonObject callerMetadata) metadata["request_metadata"] = callerMetadata.DeepClone();
        return metadata;
    }

    /// <summary>OpenAI's usage (and the input/output names other providers use) as HoneyHive's token keys; the details in metadata.usage.</summary>
    private static void MapUsage(JsonObject usage, JsonObject metadata)
    {
        var prompt = EventNormalizer.Number(usage["prompt_tokens"]) ?? EventNormalizer.Number(usage["input_tokens"]);
        var completion = EventNormalizer.Number(usage["completion_tokens"]) ?? EventNormalizer.Number(usage["output_tokens"]);
        var total = EventNormalizer.Number(usage["total_tokens"]) ?? (prompt is null && completion is null ? null : (prompt ?? 0) + (completion ?? 0));
        if (prompt is { } p) metadata["prompt_tokens"] = p;
        if (completion is { } c) metadata["completion_tokens"] = c;
        if (total is { } t) metadata["total_tokens"] = t;
        var rest = new JsonObject();
        foreach (var (key, value) in usage)
        {
            if (key is not ("prompt_tokens" or "input_tokens" or "completion_tokens" or "output_tokens" or "total_tokens")) rest[key] = value?.DeepClone();
        }
        if (rest.Count > 0) metadata["usage"] = rest;
    }

    /// <summary>
    /// A bucket too large for one message becomes a clipped JSON text preview (flagged as truncated): a request may carry
    /// 20 MB of images, and a trace that can never be published would be lost whole instead of in part.
    /// </summary>
    private static JsonObject Bounded(JsonObject bucket, string name, Truncation truncation)
    {
        var json = bucket.ToJsonString();
        if (json.Length <= MaxBucketChars) return bucket;
        truncation.ValueTruncated(name);
        return new JsonObject { ["truncated_json"] = AnyValueConverter.Clip(json, MaxBucketChars) };
    }
}
