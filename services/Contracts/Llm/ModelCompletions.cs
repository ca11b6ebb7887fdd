using System.Text.Json.Nodes;

namespace HoneyHive.Contracts.Llm;

/// <summary>
/// A chat completion asked by the platform itself (an LLM judge, an experiment running a prompt over a dataset), not by a
/// client: the LLM proxy routes it with the project's workspace keys, limits and traces it like any call.
/// </summary>
/// <param name="ProjectId">The project whose workspace keys, limits and traces the call uses.</param>
/// <param name="Body">An OpenAI chat completion request (model as <c>provider/model</c> or an alias, messages, parameters); never streamed.</param>
/// <param name="SessionId">The session the call's model event joins, if any.</param>
/// <param name="EventId">The id the call's model event gets, if given: a workflow activity that is re-executed after a
/// crash passes the same id, so its call is one event in the store, not two.</param>
/// <param name="ParentId">The event the model event is a child of, if any.</param>
public sealed record ModelCompletionRequest(string ProjectId, JsonObject Body, string? SessionId = null, string? EventId = null, string? ParentId = null);

/// <summary>
/// Chat completions through the LLM proxy: in process in single node, by Dapr service invocation to <c>dp-llm-proxy</c>
/// when distributed. Answers the OpenAI chat completion object; throws <see cref="ModelCompletionException"/> when the
/// model could not answer (no key, provider error, limits).
/// </summary>
public interface IModelCompletions
{
    /// <summary>Answers the completion, or throws <see cref="ModelCompletionException"/>.</summary>
    Task<JsonObject> CompleteAsync(ModelCompletionRequest request, CancellationToken cancellationToken);
}

/// <summary>Why a completion failed, as the proxy would answer a client: the HTTP status, the OpenAI error code and its message.</summary>
public sealed class ModelCompletionException(int status, string code, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    /// <summary>The HTTP status the proxy would answer (400, 401, 429, 502, ...).</summary>
    public int Status { get; } = status;
    /// <summary>The OpenAI-shaped error code or type.</summary>
    public string Code { get; } = code;
    /// <summary>When a retry may succeed, for rate limits.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
