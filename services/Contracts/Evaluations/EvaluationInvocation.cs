namespace HoneyHive.Contracts.Evaluations;

/// <summary>
/// How a distributed data plane asks the evaluation engine for one evaluation: Dapr service invocation of app
/// <see cref="AppIds.Evaluation"/>, method <see cref="EvaluateMethod"/>, body <see cref="EvaluationRequest"/>, answer
/// <see cref="EvaluationResult"/> (200) or 429 with Retry-After when the engine is busy
/// (<see cref="EvaluatorBusyException"/>). The app takes only calls carrying its app API token (<c>dapr-api-token</c>).
/// </summary>
public static class EvaluationInvocation
{
    /// <summary>The invoked method: the app's route without its leading slash.</summary>
    public const string EvaluateMethod = "internal/evaluation/evaluate";
}
