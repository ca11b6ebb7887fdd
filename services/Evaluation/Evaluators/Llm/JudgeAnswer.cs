using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HoneyHive.Evaluation.Evaluators.Llm;

/// <summary>
/// The judge's answer read as the metric's return type. The system prompt asks for <c>{"score": ..., "explanation": "..."}</c>;
/// a model that strays is read leniently only where no meaning can be invented: the first number in the text (float), "true" /
/// "false" (boolean, also 1/0 as a JSON score), a category's name in any case (categorical), any scalar (string). A float
/// outside the metric's <c>scale</c> (0 to scale) is refused, not clamped: a judge answering 7 on a 1-5 scale misread the
/// prompt, and a clamped 5 would look like a real score.
/// </summary>
public static partial class JudgeAnswer
{
    /// <summary>How much of an unreadable answer the error message quotes.</summary>
    public const int HeadChars = 200;

    [GeneratedRegex(@"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")]
    private static partial Regex Number();

    [GeneratedRegex(@"^\s*```[a-zA-Z]*\s*(.*?)\s*```\s*$", RegexOptions.Singleline)]
    private static partial Regex CodeFence();

    /// <summary>The score and explanation, or null with <paramref name="error"/> saying why the answer does not parse.</summary>
    public static (JsonNode Score, string? Explanation)? Parse(string answer, JsonObject metric, out string? error)
    {
        error = null;
        var returnType = metric["return_type"]?.GetValue<string>() ?? "float";
        var text = answer.Trim();
        if (CodeFence().Match(text) is { Success: true } fenced) text = fenced.Groups[1].Value.Trim();

        JsonNode? score;
        string? explanation = null;
        if (TryParseObject(text) is { } json && json.TryGetPropertyValue("score", out var given))
        {
            score = Convert(given, returnType, metric);
            explanation = json["explanation"] is JsonValue said && said.GetValueKind() == JsonValueKind.String ? said.GetValue<string>() : null;
        }
        else score = Convert(JsonValue.Create(text), returnType, metric);

        if (score is null)
        {
            error = $"The judge's answer is not a {Describe(returnType, metric)}: '{Head(answer)}'.";
            return null;
        }
        if (returnType == "float" && metric["scale"]?.GetValue<int>() is { } scale && score.GetValue<double>() is var number && (number < 0 || number > scale))
        {
            error = $"The judge's score {number.ToString(CultureInfo.InvariantCulture)} is outside the metric's scale (0 to {scale}): '{Head(answer)}'.";
            return null;
        }
        return (score, explanation);
    }

    /// <summary>What the system prompt asks the score to be.</summary>
    public static string Describe(string returnType, JsonObject metric) => returnType switch
    {
        "boolean" => "boolean (true or false)",
        "string" => "string",
        "categorical" => "category, one of: " + string.Join(", ", Categories(metric).Select(c => $"\"{c}\"")),
        _ => metric["scale"]?.GetValue<int>() is { } scale ? $"number from 0 to {scale}" : "number",
    };

    private static JsonNode? Convert(JsonNode? given, string returnType, JsonObject metric)
    {
        var kind = given?.GetValueKind();
        var text = kind == JsonValueKind.String ? given!.GetValue<string>().Trim() : null;
        switch (returnType)
        {
            case "boolean":
                if (kind is JsonValueKind.True or JsonValueKind.False) return JsonValue.Create(given!.GetValue<bool>());
                if (kind == JsonValueKind.Number && given!.GetValue<double>() is 0 or 1) return JsonValue.Create(given.GetValue<double>() == 1);
                if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase)) return JsonValue.Create(true);
                if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase)) return JsonValue.Create(false);
                return null;
            case "string":
                return kind switch
                {
                    JsonValueKind.String => JsonValue.Create(text),
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => JsonValue.Create(given!.ToJsonString()),
                    _ => null,
                };
            case "categorical":
                return text is null ? null : Categories(metric).FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase)) is { } category
                    ? JsonValue.Create(category) : null;
            default:
                if (kind == JsonValueKind.Number) return JsonValue.Create(given!.GetValue<double>());
                // The first number in the text: "4", "Score: 4", "4 out of 5" (a rating comes before its scale).
                if (text is not null && Number().Match(text) is { Success: true } found
                    && double.TryParse(found.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                    return JsonValue.Create(number);
                return null;
        }
    }

    private static JsonObject? TryParseObject(string text)
    {
        if (!text.StartsWith('{')) return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Categories(JsonObject metric) =>
        metric["categories"] is JsonArray list ? list.Select(c => c?["category"]?.GetValue<string>()).OfType<string>() : [];

    private static string Head(string answer) => answer.Length <= HeadChars ? answer : answer[..HeadChars] + "...";
}
