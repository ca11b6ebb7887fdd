using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.Llm;

namespace HoneyHive.Evaluation.Evaluators.Llm;

/// <summary>
/// LLM metrics: the metric's <c>criteria</c> is the judge's prompt (<see cref="JudgeTemplate"/>), sent through the LLM proxy
/// (<see cref="IModelCompletions"/>: the project's workspace keys, limits and traces) to <c>model_provider/model_name</c>
/// at temperature 0 with a JSON answer asked for, and the answer read as the return type (<see cref="JudgeAnswer"/>).
/// A project over its proxy limits makes the engine busy (retry later), not the metric failed.
/// </summary>
public sealed class LlmEvaluator(IModelCompletions? completions = null) : IEvaluator
{
    /// <summary>Waited before retrying a rate-limited judge whose proxy said nothing.</summary>
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    public string Type => "LLM";

    public async Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        var metric = request.Metric;
        var prompt = JudgeTemplate.Render(metric["criteria"]?.GetValue<string>() ?? "", request.Event, out var renderError);
        if (prompt is null) return EvaluationResult.Failed(EvaluationErrorCodes.TemplateRender, renderError!);
        if (completions is null)
            return EvaluationResult.Failed(EvaluationErrorCodes.LlmProvider, "The LLM proxy is not composed in this process, so no judge can be called.");

        var model = $"{metric["model_provider"]?.GetValue<string>()?.Trim()}/{metric["model_name"]?.GetValue<string>()?.Trim()}";
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = SystemPrompt(metric) },
                new JsonObject { ["role"] = "user", ["content"] = prompt }),
            ["temperature"] = 0,
            ["response_format"] = new JsonObject { ["type"] = "json_object" },
        };
        JsonObject completion;
        try
        {
            completion = await completions.CompleteAsync(new ModelCompletionRequest(request.ProjectId, body), cancellationToken);
        }
        catch (ModelCompletionException error) when (error.Status == 429)
        {
            throw new EvaluatorBusyException($"The judge {model} is rate limited: {error.Message}", error.RetryAfter ?? DefaultRetryAfter);
        }
        catch (ModelCompletionException error)
        {
            return EvaluationResult.Failed(EvaluationErrorCodes.LlmProvider, $"The judge {model} could not be called ({error.Status} {error.Code}): {error.Message}");
        }

        if (completion["choices"]?[0]?["message"]?["content"] is not JsonValue content || !content.TryGetValue<string>(out var answer))
            return EvaluationResult.Failed(EvaluationErrorCodes.LlmResponseParse, $"The judge {model} answered no text.");
        return JudgeAnswer.Parse(answer, metric, out var parseError) is { } parsed
            ? EvaluationResult.Scored(parsed.Score, parsed.Explanation, passed: null)
            : EvaluationResult.Failed(EvaluationErrorCodes.LlmResponseParse, parseError!);
    }

    /// <summary>The judge's instructions: the answer's JSON shape, with the score's type from the metric's return type.</summary>
    public static string SystemPrompt(JsonObject metric)
    {
        var returnType = metric["return_type"]?.GetValue<string>() ?? "float";
        var description = metric["description"]?.GetValue<string>() is { Length: > 0 } text ? $" The metric: {text}" : "";
        return "You are an evaluator. Judge what the user's message describes, following its instructions." + description +
            " Answer with a JSON object only, no other text: {\"score\": <score>, \"explanation\": \"<one or two sentences on why>\"}," +
            $" where <score> is a {JudgeAnswer.Describe(returnType, metric)}" + returnType switch
            {
                "boolean" => " (a JSON boolean).",
                "categorical" => " (a JSON string, spelled exactly as listed).",
                "string" => " (a JSON string).",
                _ => " (a JSON number).",
            };
    }
}
