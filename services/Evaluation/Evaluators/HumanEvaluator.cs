using System.Text.Json;
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
        return Task.FromResult(EvaluationResult.Scored(score.DeepClone(), explanation, passed: null));
    }

    private static System.Text.Json.Nodes.JsonNode? Recorded(System.Text.Json.Nodes.JsonNode? value) =>
        value is not null && value.GetValueKind() != JsonValueKind.Null ? value : null;
}
