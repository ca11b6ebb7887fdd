using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Llm;

namespace HoneyHive.Platform.Invocation;

/// <summary>
/// Platform completions through the <c>dp-llm-proxy</c> app by Dapr service invocation
/// (<see cref="ModelCompletionsInvocation.CompleteMethod"/>), over the invoke HttpClient of
/// <see cref="DaprClient.CreateInvokeHttpClient"/> as <see cref="DaprPythonMetricRunner"/> does. Keeps
/// <see cref="IModelCompletions"/>'s contract: the proxy's refusal (its status and OpenAI error body) becomes a
/// <see cref="ModelCompletionException"/> with that status, code, message and Retry-After; so does a sidecar that cannot
/// reach the app (502), since either way the model did not answer.
/// </summary>
public sealed class DaprModelCompletions(HttpClient invoke) : IModelCompletions
{
    private static readonly Uri Method = new($"http://{AppIds.LlmProxy}/{ModelCompletionsInvocation.CompleteMethod}");

    /// <summary>The client over the sidecar at <paramref name="daprEndpoint"/> (null: DAPR_HTTP_ENDPOINT or DAPR_HTTP_PORT).</summary>
    public static DaprModelCompletions Create(string? daprEndpoint = null, string? daprApiToken = null) =>
        new(DaprClient.CreateInvokeHttpClient(AppIds.LlmProxy, daprEndpoint, daprApiToken));

    /// <inheritdoc />
    public async Task<JsonObject> CompleteAsync(ModelCompletionRequest request, CancellationToken cancellationToken)
    {
        using var response = await invoke.PostAsJsonAsync(Method, request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? body = null;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // Not the proxy's JSON (a sidecar's own error page): reported below with its head.
        }
        if (response.IsSuccessStatusCode && body is JsonObject completion) return completion;
        var status = response.IsSuccessStatusCode ? 502 : (int)response.StatusCode;
        var error = body?["error"] as JsonObject;
        var code = error?["code"]?.ToString() ?? error?["type"]?.ToString() ?? "api_error";
        var message = error?["message"]?.ToString()
            ?? $"Dapr invocation of {AppIds.LlmProxy} answered {(int)response.StatusCode}: {(text.Length <= 300 ? text : text[..300] + "...")}";
        throw new ModelCompletionException(status, code, message, response.Headers.RetryAfter?.Delta);
    }
}
