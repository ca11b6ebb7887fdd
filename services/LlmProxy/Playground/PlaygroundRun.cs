using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.LlmProxy.Routing;

namespace HoneyHive.LlmProxy.Playground;

/// <summary>
/// A configuration as the playground runs it: the stored content with the run's edits applied (what a save keeps as
/// the next version), and the chat completions request it amounts to, in the proxy's canonical (OpenAI) form.
/// </summary>
public static class PlaygroundRun
{
    /// <summary>Keys of a configuration's hyperparameters that would overwrite the request's own fields.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "model", "messages", "stream", "stream_options" };

    /// <summary>The configuration's content with the request's model, hyperparameters and template over its own, checked as a save checks it.</summary>
    public static JsonObject Edit(JsonObject content, PlaygroundRequest request)
    {
        var edited = (JsonObject)content.DeepClone();
        var parameters = edited["parameters"] as JsonObject ?? [];
        edited["parameters"] = parameters;
        if (request.Model is { } model)
        {
            if (RouteTarget.Parse(model) is { } target)
            {
                edited["provider"] = target.Provider;
                parameters["model"] = target.Model;
            }
            else parameters["model"] = model.Trim(); // an alias: the provider stays as it was, the alias routes
        }
        if (request.Hyperparameters is { } overrides)
        {
            var hyperparameters = parameters["hyperparameters"] as JsonObject ?? [];
            foreach (var (key, value) in overrides) hyperparameters[key] = value?.DeepClone();
            parameters["hyperparameters"] = hyperparameters;
        }
        if (request.Template is { } template) parameters["template"] = template.DeepClone();

        var errors = new FieldErrors();
        var normalized = ConfigurationDefinition.Normalize(edited, errors);
        if (errors.ToDictionary().FirstOrDefault() is { Key: { } field, Value: { } messages })
            throw OpenAiErrorException.Invalid(field, $"The configuration as edited is not valid: {field}: {string.Join(" ", messages)}");
        return normalized;
    }

    /// <summary>The chat completions body for <paramref name="content"/> with the template rendered from <paramref name="inputs"/>.</summary>
    public static JsonObject ChatRequest(JsonObject content, JsonObject inputs, string? modelOverride, bool stream)
    {
        var parameters = content["parameters"] as JsonObject ?? [];
        var body = new JsonObject
        {
            // An alias given as the override is sent as it is; otherwise the configuration's provider/model.
            ["model"] = modelOverride?.Trim() ?? $"{content["provider"]}/{parameters["model"]}",
            ["messages"] = PromptTemplate.Render(parameters["template"], inputs),
        };
        if (parameters["hyperparameters"] is JsonObject hyperparameters)
        {
            foreach (var (key, value) in hyperparameters)
            {
                if (!Reserved.Contains(key) && value is not null) body[key] = value.DeepClone();
            }
        }
        if (parameters["responseFormat"] is JsonObject format) body["response_format"] = format.DeepClone();
        if (parameters["selectedFunctions"] is JsonArray { Count: > 0 } functions)
        {
            body["tools"] = new JsonArray([.. functions.OfType<JsonObject>().Select(f => (JsonNode)new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = f["name"]?.DeepClone(),
                    ["description"] = f["description"]?.DeepClone(),
                    ["parameters"] = f["parameters"]?.DeepClone() ?? new JsonObject { ["type"] = "object" },
                },
            })]);
            body["tool_choice"] = parameters["functionCallParams"]?.ToString() switch
            {
                "none" => "none",
                "force" when parameters["forceFunction"]?["name"] is JsonValue name => new JsonObject
                {
                    ["type"] = "function", ["function"] = new JsonObject { ["name"] = name.DeepClone() },
                },
                _ => "auto",
            };
        }
        if (stream) body["stream"] = true;
        return body;
    }
}
