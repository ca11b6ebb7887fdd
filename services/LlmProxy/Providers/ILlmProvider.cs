using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Secrets;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>
/// One provider's wire format. Requests and answers are OpenAI's chat completions and embeddings JSON on this side
/// (the proxy's one canonical form); an adapter translates both ways, and maps the provider's errors to
/// <see cref="OpenAi.OpenAiErrorException"/> (status, type, retry-after). Adapters are stateless singletons.
/// </summary>
public interface ILlmProvider
{
    /// <summary>The <see cref="ProviderKinds"/> this adapter speaks.</summary>
    IReadOnlyCollection<string> Kinds { get; }

    /// <summary>A chat completion (<c>object: chat.completion</c>) for an OpenAI request body.</summary>
    Task<JsonObject> CompleteAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken);

    /// <summary>
    /// The chunks (<c>object: chat.completion.chunk</c>) of a streamed completion, the last one carrying
    /// <c>usage</c> (with empty <c>choices</c>) whether or not the caller asked for it: the proxy traces tokens
    /// and drops that chunk for callers who did not set <c>stream_options.include_usage</c>. The upstream request
    /// is sent on the first MoveNextAsync, so errors before the first chunk can still be retried.
    /// </summary>
    IAsyncEnumerable<JsonObject> StreamAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken);

    /// <summary>Embeddings (<c>object: list</c>) for an OpenAI embeddings request body.</summary>
    Task<JsonObject> EmbedAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken);
}

/// <summary>
/// One attempt's target: the decrypted credential, the kind resolved from it, the model as the provider names it,
/// the client that reaches the provider (through the SSRF guard), and the base URL to use: the secret's own, else the
/// operator's for the kind (<c>LlmProxy:ProviderBaseUrls</c>), else null for the provider's public endpoint.
/// </summary>
public sealed record ProviderCall(ProviderCredential Credential, string Kind, string Model, HttpClient Http, string? BaseUrl)
{
    public override string ToString() => $"{Credential.Provider}/{Model} ({Kind})";
}
