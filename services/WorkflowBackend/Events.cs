using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace HoneyHive.WorkflowBackend;

/// <summary>History events as the protocol spells them; events that answer no action carry id -1, as in durabletask.</summary>
internal static class Events
{
    public const int NoId = -1;

    public static HistoryEvent New(int id = NoId) => new() { EventId = id, Timestamp = Timestamp.FromDateTime(DateTime.UtcNow) };

    public static HistoryEvent WorkflowStarted()
    {
        var e = New();
        e.WorkflowStarted = new WorkflowStartedEvent();
        return e;
    }

    public static HistoryEvent ExecutionStarted(string instanceId, string executionId, string name, string? version, string? input,
        ParentInstanceInfo? parent = null, Timestamp? scheduledStart = null)
    {
        var started = new ExecutionStartedEvent
        {
            Name = name,
            WorkflowInstance = new WorkflowInstance { InstanceId = instanceId, ExecutionId = executionId },
        };
        if (version is not null) started.Version = version;
        if (input is not null) started.Input = input;
        if (parent is not null) started.ParentInstance = parent;
        if (scheduledStart is not null) started.ScheduledStartTimestamp = scheduledStart;
        var e = New();
        e.ExecutionStarted = started;
        return e;
    }

    public static HistoryEvent EventRaised(string name, string? input)
    {
        var raised = new EventRaisedEvent { Name = name };
        if (input is not null) raised.Input = input;
        var e = New();
        e.EventRaised = raised;
        return e;
    }

    public static HistoryEvent ExecutionCompleted(int id, OrchestrationStatus status, string? result, TaskFailureDetails? failure)
    {
        var completed = new ExecutionCompletedEvent { WorkflowStatus = status };
        if (result is not null) completed.Result = result;
        if (failure is not null) completed.FailureDetails = failure;
        var e = New(id);
        e.ExecutionCompleted = completed;
        return e;
    }

    /// <summary>The inbox's kind column: which events a continue-as-new or a completion discards.</summary>
    public static string Kind(HistoryEvent e) => e.EventTypeCase.ToString();

    public static byte[] Bytes(IMessage message) => message.ToByteArray();
}
