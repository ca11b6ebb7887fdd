using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.DataPlane.Api.Metrics;
using Microsoft.Extensions.Options;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// PYTHON metrics: the metric's <c>criteria</c> is code run by the Python metric service (in process in single node,
/// <c>dp-python-metric</c> when distributed). A stored version's compiled code is cached under its id and version.
/// </summary>
public sealed class PythonEvaluator(IPythonMetricRunner runner, IOptions<MetricRunOptions> options) : IEvaluator
{
    public string Type => "PYTHON";

    public async Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        var metric = request.Metric;
        var name = metric["name"]!.GetValue<string>();
        var criteria = metric["criteria"]!.GetValue<string>();
        var returnType = metric["return_type"]?.GetValue<string>() ?? "float";
        var categories = metric["categories"] is JsonArray list ? list.Select(c => c?["category"]?.GetValue<string>() ?? "").ToList() : null;
        var codeKey = request.MetricId is { } id && request.MetricVersion is { } version
            ? $"metric:{id}:v{version}"
            : new MetricRunBody(name, Type, criteria, returnType, categories, false, null, null).CodeKey();
        var argument = MetricRunBody.FunctionArgument((JsonObject)request.Event.DeepClone());
        PythonMetricRunResult result;
        try
        {
            result = await runner.RunAsync(
                new PythonMetricRunRequest(request.ProjectId, codeKey, name, criteria, returnType, categories, argument, options.Value.TimeoutMs),
                cancellationToken);
        }
        catch (PythonMetricBusyException busy)
        {
            throw new EvaluatorBusyException(busy.Message, busy.RetryAfter);
        }
        return result.Success
            ? EvaluationResult.Scored(result.Result, result.Explanation, passed: null)
            : EvaluationResult.Failed(result.ErrorCode ?? PythonMetricErrorCodes.Execution,
                result.Line is { } line && result.Message?.Contains($"line {line}", StringComparison.OrdinalIgnoreCase) != true
                    ? $"{result.Message} (line {line})" : result.Message ?? "The metric failed.");
    }
}
