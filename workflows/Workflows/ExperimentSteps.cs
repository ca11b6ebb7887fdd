using Dapr.Workflow;

namespace HoneyHive.Workflows.Workflows;

/// <summary>
/// The shape both experiment workflows share: mark the run running, work through the targets with at most
/// <c>concurrency</c> in flight (fan out, fan in), keep the progress as the custom status, write the run summary and
/// publish a notification. A target whose activities fail after their retries is recorded as failed; it never fails
/// the run.
/// </summary>
public static class ExperimentSteps
{
    public const string EvaluateKind = "evaluate";
    public const string DatasetKind = "dataset";

    /// <summary>
    /// Transient faults (a provider's 429/5xx, the store or the stream down) are retried with exponential backoff by the
    /// SDK (durable timers), so a crash between attempts keeps the schedule.
    /// </summary>
    public static readonly WorkflowTaskOptions Retry = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2.0,
        maxRetryInterval: TimeSpan.FromSeconds(30)));

    /// <summary>The failed targets whose reason the run summary keeps (the count is always whole), and each reason's length.</summary>
    public const int MaxErrorsKept = 100;
    private const int MaxErrorLength = 500;

    private static string Cut(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];

    public static async Task<RunOutcome> RunAsync(
        WorkflowContext context, string projectId, string runId, string kind, IReadOnlyList<string> targets, int concurrency,
        Func<string, Task<TargetResult>> process)
    {
        await context.CallActivityAsync<bool>(ActivityNames.StartRun, new RunStart(projectId, runId, kind, targets.Count), Retry);
        var results = new List<TargetResult>(targets.Count);
        context.SetCustomStatus(new RunProgress(targets.Count, 0, 0));
        // A sliding window: the next target starts as soon as one finishes, so a slow datapoint holds up one slot, not a
        // whole batch. Completion order comes from the history, so a replay sees the same order.
        var waiting = new Queue<string>(targets);
        var running = new List<Task<TargetResult>>(concurrency);
        var failures = 0;
        while (waiting.Count > 0 || running.Count > 0)
        {
            while (running.Count < Math.Max(1, concurrency) && waiting.TryDequeue(out var target)) running.Add(ProcessSafelyAsync(target, process));
            var finished = await Task.WhenAny(running);
            running.Remove(finished);
            var result = await finished;
            results.Add(result);
            if (result.Failed) failures++;
            context.SetCustomStatus(new RunProgress(targets.Count, results.Count, failures));
        }

        var metrics = Aggregate(results);
        var failed = results.Where(r => r.Failed).Select(r => r.Target).ToList();
        var errors = results.Where(r => r.Failed).Take(MaxErrorsKept)
            .ToDictionary(r => r.Target, r => Cut(r.Reason ?? "failed"), StringComparer.Ordinal);
        var finish = new RunFinish(projectId, runId, kind, targets.Count, results.Count, failed, metrics, errors);
        await context.CallActivityAsync<bool>(ActivityNames.FinishRun, finish, Retry);
        await context.CallActivityAsync<bool>(ActivityNames.NotifyRunFinished, finish with { Errors = null }, Retry);
        return new RunOutcome(targets.Count, results.Count, failed.Count, metrics);
    }

    /// <summary>Scores one event with the run's metrics; an activity that failed after its retries makes the target failed.</summary>
    public static async Task<TargetResult> EvaluateAsync(WorkflowContext context, EvaluateInput input, string target)
    {
        var scored = await context.CallActivityAsync<EvaluateOutput>(ActivityNames.EvaluateEvent, input, Retry);
        return new TargetResult(target, input.EventId, scored.Scores, scored.Error);
    }

    private static async Task<TargetResult> ProcessSafelyAsync(string target, Func<string, Task<TargetResult>> process)
    {
        try
        {
            return await process(target);
        }
        catch (WorkflowTaskFailedException failure)
        {
            return new TargetResult(target, null, [], failure.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>Per metric: successes, failures, the numeric mean/min/max and the threshold verdicts, in target order (replay-stable).</summary>
    public static IReadOnlyDictionary<string, MetricAggregate> Aggregate(IEnumerable<TargetResult> results)
    {
        var byMetric = new SortedDictionary<string, List<MetricScore>>(StringComparer.Ordinal);
        foreach (var score in results.SelectMany(r => r.Scores))
        {
            if (!byMetric.TryGetValue(score.Metric, out var list)) byMetric[score.Metric] = list = [];
            list.Add(score);
        }

        var aggregates = new Dictionary<string, MetricAggregate>(StringComparer.Ordinal);
        foreach (var (metric, scores) in byMetric)
        {
            var numbers = scores.Where(s => s.Success && s.Number is not null).Select(s => s.Number!.Value).ToList();
            aggregates[metric] = new MetricAggregate(
                scores.Count(s => s.Success),
                scores.Count(s => !s.Success),
                numbers.Count == 0 ? null : numbers.Average(),
                numbers.Count == 0 ? null : numbers.Min(),
                numbers.Count == 0 ? null : numbers.Max(),
                scores.Count(s => s.Passed == true),
                scores.Count(s => s.Passed == false));
        }

        return aggregates;
    }
}
