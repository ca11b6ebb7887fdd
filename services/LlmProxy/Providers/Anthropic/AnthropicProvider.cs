using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.DataPlane.Api.Secrets;

namespace HoneyHive.LlmProxy.Providers.Anthropic;

/// <summary>
/// Anthropic's Messages API (<c>POST /v1/messages</c>) over its documented JSON and event stream. Translated by hand
/// rather than through Anthropic's SDK: the proxy's canonical form is OpenAI's JSON, and a typed model in between
/// would be a second translation.
/// </summary>
public sealed class AnthropicProvider : ILlmProvider
{
    public const string DefaultBaseUrl = "https://api.anthropic.com";

    /// <summary>The API version this translation follows (Anthropic's only stable one).</summary>
    public const string ApiVersion = "2023-06-01";

    public IReadOnlyCollection<string> Kinds { get; } = [ProviderKinds.Anthropic];

    public async Task<JsonObject> CompleteAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken)
    {
        var body = AnthropicRequest.From(request, call.Model, stream: false);
        var message = await ProviderHttp.SendForJsonAsync(call.Http, Request(call, body), call.Credential.Provider, cancellationToken);
        return AnthropicResponse.ToCompletion(message, call.Model, AnswerTool(request));
    }

    public async IAsyncEnumerable<JsonObject> StreamAsync(ProviderCall call, JsonObject request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = AnthropicRequest.From(request, call.Model, stream: true);
        var translator = new AnthropicStream(call.Model, call.Credential.Provider, AnswerTool(request));
        var response = await ProviderHttp.SendAsync(call.Http, Request(call, body), call.Credential.Provider, cancellationToken);
        await foreach (var item in ProviderHttp.ReadEventsAsync(response, call.Credential.Provider, cancellationToken))
        {
            foreach (var chunk in translator.Translate(ProviderHttp.ParseObject(item.Data, call.Credential.Provider)))
                yield return chunk;
            if (translator.Ended) yield break;
        }
        // A stream cut before message_stop is incomplete: the caller must not take it for a whole answer.
        throw UpstreamErrors.FromStatus(502, call.Credential.Provider, "the stream ended before message_stop.");
    }

    public Task<JsonObject> EmbedAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken) =>
        throw OpenAiErrorException.Invalid("model", "anthropic has no embeddings API.");

    private static string? AnswerTool(JsonObject request) => OpenAiMessages.ResponseFormat(request)?.Name;

    private static HttpRequestMessage Request(ProviderCall call, JsonObject body)
    {
        var request = ProviderHttp.Post(ProviderHttp.Combine(call.BaseUrl ?? DefaultBaseUrl, "v1/messages"), body);
        request.Headers.Add("x-api-key", call.Credential.Secret);
        request.Headers.Add("anthropic-version", ApiVersion);
        return request;
    }
}
