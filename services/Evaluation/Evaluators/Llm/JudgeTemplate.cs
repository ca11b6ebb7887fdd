using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HoneyHive.Evaluation.Evaluators.Llm;

/// <summary>
/// An LLM metric's <c>criteria</c> as a prompt template: <c>{{path}}</c> (spaces inside the braces allowed) is replaced by
/// the event's value at that dotted path (<c>inputs.question</c>, <c>outputs.content</c>, <c>feedback.ground_truth</c>,
/// <c>metadata.x</c>, a number for an array's item: <c>inputs.chat_history.0.content</c>). A string is inserted as it is,
/// any other value (a number, an object, null) as its JSON. A path the event lacks, an empty <c>{{ }}</c> or an unclosed
/// <c>{{</c> is a render error naming it, never an empty hole in the judge's prompt.
/// </summary>
public static partial class JudgeTemplate
{
    [GeneratedRegex(@"\{\{(.*?)\}\}", RegexOptions.Singleline)]
    private static partial Regex Variable();

    /// <summary>The rendered prompt, or null with <paramref name="error"/> saying what could not be rendered.</summary>
    public static string? Render(string template, JsonObject @event, out string? error)
    {
        error = null;
        var output = new StringBuilder(template.Length);
        var last = 0;
        foreach (Match match in Variable().Matches(template))
        {
            var path = match.Groups[1].Value.Trim();
            if (path.Length == 0)
            {
                error = $"The prompt has an empty variable '{match.Value}' at character {match.Index}.";
                return null;
            }
            if (!TryResolve(@event, path, out var value))
            {
                error = $"The prompt's variable '{{{{{path}}}}}' is not in the event (no '{path}').";
                return null;
            }
            output.Append(template, last, match.Index - last).Append(Text(value));
            last = match.Index + match.Length;
        }
        var rest = template.AsSpan(last);
        var unclosed = rest.IndexOf("{{", StringComparison.Ordinal);
        if (unclosed >= 0)
        {
            error = $"The prompt has an unclosed '{{{{' at character {last + unclosed}.";
            return null;
        }
        return output.Append(rest).ToString();
    }

    /// <summary>The node at a dotted path; false when a segment is absent (a JSON null that is present resolves).</summary>
    public static bool TryResolve(JsonNode? root, string path, out JsonNode? value)
    {
        value = root;
        foreach (var segment in path.Split('.'))
        {
            var key = segment.Trim();
            switch (value)
            {
                case JsonObject obj when obj.TryGetPropertyValue(key, out var child):
                    value = child;
                    break;
                case JsonArray array when int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count:
                    value = array[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }
        return true;
    }

    private static string Text(JsonNode? value) =>
        value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : value?.ToJsonString() ?? "null";
}
