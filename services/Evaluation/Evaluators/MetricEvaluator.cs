using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Metrics;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// The engine's one entry point (<see cref="IMetricEvaluator"/>): refuses a metric that needs ground truth on an event
/// without it, hands the rest to the evaluator of the metric's type, and judges the score against the threshold.
/// </summary>
public sealed class MetricEvaluator(IEnumerable<IEvaluator> evaluators) : IMetricEvaluator
{
    private readonly Dictionary<string, IEvaluator> _byType = evaluators.ToDictionary(e => e.Type, StringComparer.Ordinal);

    public async Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        var type = request.Metric["type"]?.GetValue<string>() ?? "";
        if (!_byType.TryGetValue(type, out var evaluator))
            return EvaluationResult.Failed(EvaluationErrorCodes.NotEvaluable, $"No evaluator runs metrics of type '{type}' here.");
        if (request.Metric["needs_ground_truth"]?.GetValue<bool>() == true && MetricRunBody.GroundTruth(request.Event) is null)
            return EvaluationResult.Failed(EvaluationErrorCodes.MissingGroundTruth, "The metric needs ground truth (needs_ground_truth is true) and the event has none.");

        var result = await evaluator.EvaluateAsync(request, cancellationToken);
        return result.Success && result.Value is not null
            ? result with { Passed = Thresholds.Passed(request.Metric, result.Value) }
            : result;
    }
}
