using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Playground;

/// <summary>
/// HoneyHive's prompt templates: a configuration's <c>parameters.template</c> is a list of chat messages (or, for a
/// completion, one string) whose text holds <c>{{variable}}</c> placeholders, filled from the run's inputs.
/// </summary>
public static partial class PromptTemplate
{
    /// <summary>The messages with every placeholder filled; a 400 naming each variable the inputs lack.</summary>
    public static JsonArray Render(JsonNode? template, JsonObject inputs)
    {
        var messages = template switch
        {
            JsonArray array => array,
            JsonValue text when text.TryGetValue<string>(out var prompt) => new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
            _ => throw OpenAiErrorException.Invalid("configuration_id", "The configuration has no template to run: parameters.template must be a list of messages or a prompt."),
        };
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        var rendered = new JsonArray();
        foreach (var node in messages)
        {
            if (node is not JsonObject message) continue;
            var copy = (JsonObject)message.DeepClone();
            if (copy["content"] is JsonValue content && content.TryGetValue<string>(out var text)) copy["content"] = Fill(text, inputs, missing);
            rendered.Add(copy);
        }
        if (missing.Count > 0)
            throw OpenAiErrorException.Invalid("inputs." + missing.First(),
                $"The template needs {(missing.Count == 1 ? "the variable" : "the variables")} {string.Join(", ", missing.Select(m => $"'{m}'"))}, missing from inputs.",
                "missing_template_variable");
        return rendered;
    }

    /// <summary>The variables a template names, in order of first use.</summary>
    public static IReadOnlyList<string> Variables(string text) => [.. Placeholder().Matches(text).Select(m => m.Groups[1].Value).Distinct()];

    private static string Fill(string text, JsonObject inputs, ISet<string> missing) =>
        Placeholder().Replace(text, match =>
        {
            var name = match.Groups[1].Value;
            if (!inputs.TryGetPropertyValue(name, out var value) || value is null)
            {
                missing.Add(name);
                return match.Value;
            }
            // Text goes in as it is; numbers, lists and objects as their JSON.
            return value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        });

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")]
    private static partial Regex Placeholder();
}
