namespace HoneyHive.Workflows.Workflows;

/// <summary>
/// The activities the experiment workflows call, by registered name: they live with the stores they need (the
/// evaluation service), which this library does not reference.
/// </summary>
public static class ActivityNames
{
    public const string ListRunEvents = "ListRunEvents";
    public const string ListDatasetDatapoints = "ListDatasetDatapoints";
    public const string StartRun = "StartRun";
    public const string GenerateOutput = "GenerateOutput";
    public const string EvaluateEvent = "EvaluateEvent";
    public const string FinishRun = "FinishRun";
    public const string NotifyRunFinished = "NotifyRunFinished";
}
