using HoneyHive.Contracts.Evaluations;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// Computes the raw score of one metric type (PYTHON, LLM, COMPOSITE, HUMAN). The <see cref="MetricEvaluator"/> in front
/// of it has already checked ground truth and applies the threshold afterwards, so an evaluator only answers the value
/// (converted to the metric's return type) and its explanation, or a failed result with its error code.
/// </summary>
public interface IEvaluator
{
    /// <summary>The metric type this evaluator runs, as the spec spells it.</summary>
    string Type { get; }

    Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken);
}
