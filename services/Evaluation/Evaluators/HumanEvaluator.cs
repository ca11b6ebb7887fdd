using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// HUMAN metrics are scored by people in annotation queues, never by a machine: evaluating one answers the score a person
/// already gave the event (<c>metrics.&lt;name&gt;</c>, where queue scores are written, else <c>feedback.&lt;name&gt;</c>,
/// where SDK feedback lands) with its <c>metrics.&lt;name&gt;_explanation</c>, or a failed <c>not_evaluable</c> result
/// saying where the score comes from.
/// </summary>
public sealed class HumanEvaluator : IEvaluator
{
    public string Type => "HUMAN";

    public Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        var name = request.Metric["name"]?.GetValue<string>() ?? "";
        var @event = request.Event;
        var score = Recorded(@event["metrics"]?[name]) ?? Recorded(@event["feedback"]?[name]);
        if (score is null)
            return Task.FromResult(EvaluationResult.Failed(EvaluationErrorCodes.NotEvaluable,
                $"'{name}' is a HUMAN metric: people score it in annotation queues, and this event has no score for it yet."));
        var explanation = @event["metrics"]?[name + "_explanation"] is { } said && said.GetValueKind() == JsonValueKind.String
            ? said.GetValue<string>() : null;
        return Task.FromResult(EvaluationResult.Scored(score, explanation, passed: null));
    }

    /// <summary>The recorded score, a number as a double whatever the event's JSON held (thresholds and composites read doubles).</summary>
    private static JsonNode? Recorded(JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.Number => JsonValue.Create(double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture)),
        _ => value.DeepClone(),
    };
}
