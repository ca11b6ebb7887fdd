using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.LlmProxy.Routing;

namespace HoneyHive.LlmProxy.Providers.OpenAiCompatible;

/// <summary>
/// OpenAI's own API, Azure OpenAI (deployments with an api-version, or Azure's v1 API) and any server that speaks
/// OpenAI's wire format by base URL (vLLM, Ollama, LM Studio). The request body passes through as the caller sent
/// it, with only <c>model</c> set to the target's and usage asked for on streams; fields this proxy does not know
/// reach the server unchanged, which a typed SDK's model would drop.
/// </summary>
public sealed class OpenAiCompatibleProvider : ILlmProvider
{
    public const string OpenAiBaseUrl = "https://api.openai.com/v1";

    /// <summary>Azure's GA data-plane version for deployment URLs when the secret's settings name none.</summary>
    public const string DefaultAzureApiVersion = "2024-10-21";

    public IReadOnlyCollection<string> Kinds { get; } = [ProviderKinds.OpenAi, ProviderKinds.Azure, ProviderKinds.OpenAiCompatible];

    public Task<JsonObject> CompleteAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken)
    {
        var body = Body(call, request);
        body.Remove("stream");
        body.Remove("stream_options");
        return ProviderHttp.SendForJsonAsync(call.Http, Request(call, "chat/completions", body), call.Credential.Provider, cancellationToken);
    }

    public async IAsyncEnumerable<JsonObject> StreamAsync(ProviderCall call, JsonObject request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = Body(call, request);
        body["stream"] = true;
        // Always asked for: the trace needs the tokens; the caller's stream drops the usage chunk unless it asked too.
        var options = body["stream_options"] as JsonObject ?? [];
        options["include_usage"] = true;
        body["stream_options"] = options;
        var response = await ProviderHttp.SendAsync(call.Http, Request(call, "chat/completions", body), call.Credential.Provider, cancellationToken);
        await foreach (var item in ProviderHttp.ReadEventsAsync(response, call.Credential.Provider, cancellationToken))
        {
            if (item.Data == "[DONE]") yield break;
            var chunk = ProviderHttp.ParseObject(item.Data, call.Credential.Provider);
            // Some servers report a failure inside the stream.
            if (chunk["error"] is JsonObject error)
                throw UpstreamErrors.FromStatus(502, call.Credential.Provider, error["message"]?.ToString() ?? error.ToJsonString());
            yield return chunk;
        }
    }

    public Task<JsonObject> EmbedAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken) =>
        ProviderHttp.SendForJsonAsync(call.Http, Request(call, "embeddings", Body(call, request)), call.Credential.Provider, cancellationToken);

    private static JsonObject Body(ProviderCall call, JsonObject request)
    {
        var body = (JsonObject)request.DeepClone();
        body["model"] = call.Model;
        return body;
    }

    private static HttpRequestMessage Request(ProviderCall call, string operation, JsonObject body)
    {
        var credential = call.Credential;
        switch (call.Kind)
        {
            case ProviderKinds.Azure:
            {
                var baseUrl = call.BaseUrl ?? throw OpenAiErrorException.Invalid("model",
                    $"The {credential.Provider} secret has no base_url: Azure OpenAI needs the resource's endpoint (https://<resource>.openai.azure.com).");
                // Azure's v1 API takes the model in the body like OpenAI's; deployment URLs name it in the path.
                var url = new Uri(baseUrl).AbsolutePath.TrimEnd('/').EndsWith("/openai/v1", StringComparison.OrdinalIgnoreCase)
                    ? ProviderHttp.Combine(baseUrl, operation)
                    : ProviderHttp.Combine(baseUrl, $"openai/deployments/{Uri.EscapeDataString(call.Model)}/{operation}",
                        "api-version=" + Uri.EscapeDataString(Setting(credential.Settings, "api_version") ?? DefaultAzureApiVersion));
                var request = ProviderHttp.Post(url, body);
                request.Headers.Add("api-key", credential.Secret);
                return request;
            }
            case ProviderKinds.OpenAiCompatible:
            {
                var baseUrl = call.BaseUrl ?? throw OpenAiErrorException.Invalid("model",
                    $"The {credential.Provider} secret has no base_url: an OpenAI-compatible server is reached by its base URL (http://host:11434/v1).");
                var request = ProviderHttp.Post(ProviderHttp.Combine(baseUrl, operation), body);
                if (credential.Secret.Length > 0) ProviderHttp.Bearer(request, credential.Secret);
                return request;
            }
            default:
            {
                var request = ProviderHttp.Post(ProviderHttp.Combine(call.BaseUrl ?? OpenAiBaseUrl, operation), body);
                ProviderHttp.Bearer(request, credential.Secret);
                if (Setting(credential.Settings, "organization") is { } organization) request.Headers.Add("OpenAI-Organization", organization);
                if (Setting(credential.Settings, "project") is { } project) request.Headers.Add("OpenAI-Project", project);
                return request;
            }
        }
    }

    private static string? Setting(JsonObject settings, string name) =>
        settings[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
