namespace HoneyHive.Contracts.Llm;

/// <summary>
/// How a distributed data plane asks the LLM proxy for a platform completion: Dapr service invocation of app
/// <see cref="AppIds.LlmProxy"/>, method <see cref="CompleteMethod"/>, body <see cref="ModelCompletionRequest"/> (JSON,
/// camelCase), answer the OpenAI chat completion object (200) or the proxy's OpenAI error body with its status
/// (429 with Retry-After when a limit is reached). The app takes only calls carrying its app API token
/// (<c>dapr-api-token</c>, as for the Python metric service).
/// </summary>
public static class ModelCompletionsInvocation
{
    /// <summary>The invoked method: the app's route without its leading slash.</summary>
    public const string CompleteMethod = "internal/llm-proxy/complete";
}
