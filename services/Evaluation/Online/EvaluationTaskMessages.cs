using System.Text.Json;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Evaluation.Online;

/// <summary>The wire form of an <see cref="EvaluationTask"/> on <see cref="Topics.EvaluationRequested"/>: a CloudEvent whose id is the task's.</summary>
public static class EvaluationTaskMessages
{
    public const string Source = "/honeyhive/evaluation/dispatcher";
    public const string EventType = "honeyhive.evaluation.requested.v1";

    public static OutgoingMessage ToMessage(EvaluationTask task, DateTimeOffset now)
    {
        var envelope = new CloudEvent<EvaluationTask>(task.Id, Source, EventType, task) { Topic = Topics.EvaluationRequested, Time = now };
        return new OutgoingMessage(Topics.EvaluationRequested, task.Id, JsonSerializer.SerializeToUtf8Bytes(envelope));
    }

    /// <summary>The task and the time it was queued; null task when the message is not one.</summary>
    public static (EvaluationTask? Task, DateTimeOffset? QueuedAt, string? Error) Read(IncomingMessage message)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize<CloudEvent<EvaluationTask>>(message.Data.Span);
            var task = envelope?.Data;
            if (task is null || string.IsNullOrEmpty(task.ProjectId) || string.IsNullOrEmpty(task.EventId) || string.IsNullOrEmpty(task.MetricId))
                return (null, null, "not an evaluation task (project_id, event_id and metric_id are required)");
            return (task, envelope!.Time, null);
        }
        catch (JsonException ex)
        {
            return (null, null, "unreadable evaluation task: " + ex.Message);
        }
    }
}
