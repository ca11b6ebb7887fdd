using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.DataPlane.Api.Secrets;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>
/// Google's Gemini models over their REST API, in both of Google's doors: AI Studio (<c>gemini</c>, an API key in
/// <c>x-goog-api-key</c>) and Vertex AI (<c>vertex</c>, a service account's bearer token, a project and a location in
/// the path). Both take the same <c>generateContent</c> body and answer the same responses, so one translation serves
/// both; only the URL and the authorisation differ. No Google GenAI SDK is served on NuGet here: the documented wire
/// format is the way in.
/// </summary>
public sealed class GoogleProvider(VertexTokens tokens) : ILlmProvider
{
    public const string GeminiBaseUrl = "https://generativelanguage.googleapis.com";
    public const string DefaultLocation = "us-central1";

    public IReadOnlyCollection<string> Kinds { get; } = [ProviderKinds.Gemini, ProviderKinds.Vertex];

    public async Task<JsonObject> CompleteAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken)
    {
        var http = await RequestAsync(call, "generateContent", null, GeminiRequest.From(request), cancellationToken);
        var response = await ProviderHttp.SendForJsonAsync(call.Http, http, call.Credential.Provider, cancellationToken);
        return GeminiResponse.ToCompletion(response, call.Model);
    }

    public async IAsyncEnumerable<JsonObject> StreamAsync(ProviderCall call, JsonObject request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var http = await RequestAsync(call, "streamGenerateContent", "alt=sse", GeminiRequest.From(request), cancellationToken);
        var translator = new GeminiStream(call.Model);
        var response = await ProviderHttp.SendAsync(call.Http, http, call.Credential.Provider, cancellationToken);
        await foreach (var item in ProviderHttp.ReadEventsAsync(response, call.Credential.Provider, cancellationToken))
        {
            var data = ProviderHttp.ParseObject(item.Data, call.Credential.Provider);
            // A failure after the status was sent arrives as an error object in the stream.
            if (data["error"] is JsonObject error) throw Error(error, call.Credential.Provider);
            foreach (var chunk in translator.Translate(data)) yield return chunk;
        }
        if (translator.End() is { } usage) yield return usage;
    }

    public async Task<JsonObject> EmbedAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken)
    {
        var vertex = call.Kind == ProviderKinds.Vertex;
        var body = vertex ? GeminiEmbeddings.PredictRequest(request) : GeminiEmbeddings.BatchRequest(request, ModelName(call.Model));
        var http = await RequestAsync(call, vertex ? "predict" : "batchEmbedContents", null, body, cancellationToken);
        var response = await ProviderHttp.SendForJsonAsync(call.Http, http, call.Credential.Provider, cancellationToken);
        return vertex ? GeminiEmbeddings.FromPredict(response, request, call.Model) : GeminiEmbeddings.FromBatch(response, request, call.Model);
    }

    private async Task<HttpRequestMessage> RequestAsync(ProviderCall call, string method, string? query, JsonObject body, CancellationToken cancellationToken)
    {
        var model = Uri.EscapeDataString(ModelName(call.Model));
        if (call.Kind != ProviderKinds.Vertex)
        {
            var request = ProviderHttp.Post(ProviderHttp.Combine(call.BaseUrl ?? GeminiBaseUrl, $"v1beta/models/{model}:{method}", query), body);
            request.Headers.Add("x-goog-api-key", call.Credential.Secret);
            return request;
        }

        var key = tokens.KeyFor(call.Credential);
        var project = Setting(call.Credential.Settings, "project") ?? key.ProjectId
            ?? throw OpenAiErrorException.Invalid("model", $"The {call.Credential.Provider} secret names no project: add project to its settings or use a key with project_id.");
        var location = Setting(call.Credential.Settings, "location") ?? DefaultLocation;
        // The global location has no regional host.
        var baseUrl = call.BaseUrl ?? (location == "global" ? "https://aiplatform.googleapis.com" : $"https://{location}-aiplatform.googleapis.com");
        var path = $"v1/projects/{Uri.EscapeDataString(project)}/locations/{Uri.EscapeDataString(location)}/publishers/google/models/{model}:{method}";
        var vertexRequest = ProviderHttp.Post(ProviderHttp.Combine(baseUrl, path, query), body);
        ProviderHttp.Bearer(vertexRequest, await tokens.TokenAsync(key, call.Credential.Provider, cancellationToken));
        return vertexRequest;
    }

    /// <summary>Google names models <c>models/gemini-2.5-flash</c> in its lists; the path wants the bare name.</summary>
    private static string ModelName(string model) => model.StartsWith("models/", StringComparison.Ordinal) ? model["models/".Length..] : model;

    private static OpenAiErrorException Error(JsonObject error, string provider)
    {
        var status = error["code"] is JsonValue code && code.TryGetValue<int>(out var number) ? number : 500;
        return UpstreamErrors.FromStatus(status, provider, OpenAiMessages.Text(error["message"]) ?? error.ToJsonString(), code: OpenAiMessages.Text(error["status"]));
    }

    private static string? Setting(JsonObject settings, string name) =>
        settings[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
