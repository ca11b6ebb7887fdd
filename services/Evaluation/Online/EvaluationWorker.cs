using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Evaluation.Scores;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Evaluation.Online;

/// <summary>
/// Runs the tasks of a delivery on <c>evaluation.requested</c> (<see cref="FairScheduler"/>: bounded per project and in all):
/// loads the metric version the task names, evaluates it through <see cref="IMetricEvaluator"/> on the task's event (or the
/// stored one when the event was too large to travel), and publishes the score with the task id as its origin, so a
/// redelivered task republishes the same message id and the event gets one score. A failed result is the metric's fault:
/// the task is dead-lettered with the error code and message and nothing is scored. A busy evaluator, an event not stored
/// yet or a dependency down defers the task; a deleted metric drops it.
/// </summary>
public sealed class EvaluationWorker(
    MetricStore metrics,
    EventQueries events,
    IMetricEvaluator evaluator,
    ScorePublisher scores,
    FairScheduler scheduler,
    OnlineEvaluationOptions options,
    TimeProvider clock,
    ILogger<EvaluationWorker> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        var rejected = new List<RejectedMessage>();
        var deferred = new List<DeferredMessage>();
        var runnable = new List<(IncomingMessage Message, EvaluationTask Task, DateTimeOffset? QueuedAt)>();
        foreach (var message in batch)
        {
            var (task, queuedAt, error) = EvaluationTaskMessages.Read(message);
            if (task is null) rejected.Add(new RejectedMessage(message, error!));
            else runnable.Add((message, task, queuedAt));
        }

        await scheduler.RunAsync(runnable, r => r.Task.ProjectId, async (r, token) =>
        {
            var outcome = await RunAsync(r.Message, r.Task, r.QueuedAt, token);
            lock (rejected)
            {
                if (outcome.Error is { } error) rejected.Add(new RejectedMessage(r.Message, error));
                else if (outcome.RetryAfter is { } delay) deferred.Add(new DeferredMessage(r.Message, delay));
            }
        }, cancellationToken);

        if (rejected.Count > 0) throw new DeadLetterException(rejected, deferred);
        if (deferred.Count > 0) throw new RetryLaterException(deferred, "evaluations that cannot run yet");
    }

    private async Task<Outcome> RunAsync(IncomingMessage message, EvaluationTask task, DateTimeOffset? queuedAt, CancellationToken cancellationToken)
    {
        try
        {
            if (!Guid.TryParse(task.ProjectId, out var project) || !Guid.TryParse(task.MetricId, out var metricId))
                return Outcome.Rejected("invalid_task: project_id and metric_id must be ids of the data plane");

            var version = await metrics.GetVersionAsync(project, metricId, task.MetricVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            if (version is null)
            {
                logger.LogInformation("Task {Task} dropped: metric {Metric} v{Version} no longer exists in project {Project}", task.Id, task.MetricId, task.MetricVersion, task.ProjectId);
                return Outcome.Done;
            }

            var @event = task.Event ?? await events.GetAsync(project, task.EventId, cancellationToken);
            if (@event is null)
            {
                // A large event travels by id and the Writer may not have stored it yet: wait for it, within a bound.
                if (queuedAt is { } queued && clock.GetUtcNow() - queued < options.EventWaitLimit)
                    return Outcome.Later(options.RetryDelayFor(message.DeliveryCount));
                return Outcome.Rejected($"event_not_found: event {task.EventId} was not stored within {options.EventWaitLimit} of the task");
            }

            var result = await evaluator.EvaluateAsync(
                new EvaluationRequest(task.ProjectId, version.Content, task.MetricId, task.MetricVersion, (JsonObject)@event.DeepClone()), cancellationToken);
            if (!result.Success)
                return Outcome.Rejected($"{result.ErrorCode}: {result.Message}");
            // A HUMAN metric nobody scored has no value; online tasks never run those, and a null score is no score.
            if (result.Value is null) return Outcome.Done;

            var name = version.Content["name"]!.GetValue<string>();
            await scores.PublishAsync(task.ProjectId, new Score(task.EventId, name, result.Value, result.Explanation, task.Id), cancellationToken);
            return Outcome.Done;
        }
        catch (EvaluatorBusyException busy)
        {
            return Outcome.Later(busy.RetryAfter > TimeSpan.Zero ? busy.RetryAfter : options.RetryDelayFor(message.DeliveryCount));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The metric store, the event store or the message log failing is no fault of the task: try again later.
            logger.LogWarning(ex, "Task {Task} could not run (delivery {Delivery}); retrying", task.Id, message.DeliveryCount);
            return Outcome.Later(options.RetryDelayFor(message.DeliveryCount));
        }
    }

    private sealed record Outcome(string? Error, TimeSpan? RetryAfter)
    {
        public static readonly Outcome Done = new(null, null);

        public static Outcome Rejected(string error) => new(error, null);

        public static Outcome Later(TimeSpan delay) => new(null, delay);
    }
}
