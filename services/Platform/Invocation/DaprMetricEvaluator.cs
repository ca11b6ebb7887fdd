using System.Net;
using System.Net.Http.Json;
using Dapr.Client;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Evaluations;

namespace HoneyHive.Platform.Invocation;

/// <summary>
/// Evaluations in the <c>dp-evaluation</c> app by Dapr service invocation (<see cref="EvaluationInvocation.EvaluateMethod"/>),
/// over the invoke HttpClient of <see cref="DaprClient.CreateInvokeHttpClient"/>. Keeps <see cref="IMetricEvaluator"/>'s
/// contract: a metric's failure is a result; a 429 from the app is an <see cref="EvaluatorBusyException"/>; any other
/// failure of the call throws (the engine cannot run anything now).
/// </summary>
public sealed class DaprMetricEvaluator(HttpClient invoke) : IMetricEvaluator
{
    /// <summary>Waited before retrying when the app says it is busy without a Retry-After.</summary>
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    private static readonly Uri Method = new($"http://{AppIds.Evaluation}/{EvaluationInvocation.EvaluateMethod}");

    /// <summary>The evaluator over the sidecar at <paramref name="daprEndpoint"/> (null: DAPR_HTTP_ENDPOINT or DAPR_HTTP_PORT).</summary>
    public static DaprMetricEvaluator Create(string? daprEndpoint = null, string? daprApiToken = null) =>
        new(DaprClient.CreateInvokeHttpClient(AppIds.Evaluation, daprEndpoint, daprApiToken));

    /// <inheritdoc />
    public async Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        using var response = await invoke.PostAsJsonAsync(Method, request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
            throw new EvaluatorBusyException("The evaluation engine is busy; retry shortly.", response.Headers.RetryAfter?.Delta ?? DefaultRetryAfter);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException(
                $"Dapr invocation of {AppIds.Evaluation} answered {(int)response.StatusCode}: {(text.Length <= 500 ? text : text[..500] + "...")}",
                null, response.StatusCode);
        }
        return await response.Content.ReadFromJsonAsync<EvaluationResult>(cancellationToken)
            ?? throw new InvalidDataException($"{AppIds.Evaluation} answered an empty result.");
    }
}
