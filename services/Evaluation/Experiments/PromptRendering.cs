using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>
/// Turns a prompt configuration and a datapoint into an OpenAI chat request: the template's messages (or its one string
/// as a user message) with <c>{{name}}</c> replaced by the datapoint's input of that name, the datapoint's history
/// before them when the template has none, the model as <c>provider/model</c> and the hyperparameters as they are.
/// </summary>
public static partial class PromptRendering
{
    public static JsonObject Build(JsonObject configuration, JsonObject inputs, JsonArray history)
    {
        var parameters = configuration["parameters"] as JsonObject ?? [];
        var provider = configuration["provider"]?.GetValue<string>() ?? "";
        var model = parameters["model"]?.GetValue<string>() ?? "";
        var messages = new JsonArray();
        switch (parameters["template"])
        {
            case JsonArray template:
                foreach (var message in template.OfType<JsonObject>())
                {
                    var rendered = (JsonObject)message.DeepClone();
                    if (message["content"] is JsonValue content && content.TryGetValue<string>(out var text)) rendered["content"] = Render(text, inputs);
                    messages.Add(rendered);
                }
                break;
            case JsonValue single when single.TryGetValue<string>(out var text):
                foreach (var turn in history) messages.Add(turn?.DeepClone());
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = Render(text, inputs) });
                break;
            default:
                foreach (var turn in history) messages.Add(turn?.DeepClone());
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = inputs.ToJsonString() });
                break;
        }

        var body = new JsonObject { ["model"] = provider.Length > 0 && !model.Contains('/') ? $"{provider}/{model}" : model, ["messages"] = messages };
        if (parameters["hyperparameters"] is JsonObject hyperparameters)
            foreach (var (name, value) in hyperparameters)
                if (name is not ("model" or "messages" or "stream")) body[name] = value?.DeepClone();
        return body;
    }

    /// <summary>The answer's text: the first choice's message content.</summary>
    public static string? Text(JsonObject completion) =>
        completion["choices"] is JsonArray { Count: > 0 } choices && choices[0]?["message"]?["content"] is JsonValue content
        && content.TryGetValue<string>(out var text) ? text : null;

    // A missing variable renders empty, as HoneyHive's playground does; strings go in as they are, other values as JSON.
    private static string Render(string template, JsonObject inputs) => Variable().Replace(template, match =>
        inputs[match.Groups[1].Value] switch
        {
            null => "",
            JsonValue value when value.TryGetValue<string>(out var s) => s,
            var node => node.ToJsonString(),
        });

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")]
    private static partial Regex Variable();
}
