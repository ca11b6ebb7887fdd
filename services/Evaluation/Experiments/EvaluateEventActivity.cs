using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Workflow;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Evaluation.Scores;
using HoneyHive.Workflows;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>
/// Scores one event with every metric of the run and publishes the scores through <see cref="ScorePublisher"/> with the
/// run as origin: the message id covers project, event, metric and run, so a re-executed activity stores each score once.
/// A metric's own fault is a failed score (not retried: it would fail the same way); a busy engine throws, and the
/// workflow's retry policy tries again later.
/// </summary>
public sealed class EvaluateEventActivity(MetricStore metrics, EventQueries events, IMetricEvaluator evaluator, ScorePublisher scores)
    : WorkflowActivity<EvaluateInput, EvaluateOutput>
{
    public override async Task<EvaluateOutput> RunAsync(WorkflowActivityContext context, EvaluateInput input)
    {
        var project = Guid.Parse(input.ProjectId);
        var @event = input.Event ?? await events.GetAsync(project, input.EventId, CancellationToken.None);
        if (@event is null) return new EvaluateOutput([], $"Event {input.EventId} is not in the project.");

        var outcomes = new List<MetricScore>(input.Metrics.Count);
        var toPublish = new List<Score>(input.Metrics.Count);
        foreach (var metric in input.Metrics)
        {
            var version = await metrics.GetVersionAsync(project, Guid.Parse(metric.Id), metric.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
            if (version is null)
            {
                outcomes.Add(new MetricScore(metric.Name, false, null, null, $"Metric {metric.Name} version {metric.Version} no longer exists."));
                continue;
            }

            var result = await evaluator.EvaluateAsync(
                new EvaluationRequest(input.ProjectId, version.Content, metric.Id, metric.Version, (JsonObject)@event.DeepClone()), CancellationToken.None);
            if (!result.Success)
            {
                outcomes.Add(new MetricScore(metric.Name, false, null, null, $"{result.ErrorCode}: {result.Message}"));
                continue;
            }

            outcomes.Add(new MetricScore(metric.Name, true, Number(result.Value), result.Passed, null));
            toPublish.Add(new Score(input.EventId, metric.Name, result.Value, result.Explanation, "run:" + input.RunId));
        }

        await scores.PublishAsync(input.ProjectId, toPublish, CancellationToken.None);
        return new EvaluateOutput(outcomes, null);
    }

    /// <summary>The score as a number for aggregates: numbers as they are, booleans as 1/0; other kinds have none.</summary>
    private static double? Number(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.Number => value.GetValue<double>(),
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        _ => null,
    };
}
