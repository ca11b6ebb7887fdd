using System.Net;
using System.Net.Http.Json;
using Dapr.Client;
using HoneyHive.Contracts;
using HoneyHive.Contracts.PythonMetrics;

namespace HoneyHive.Platform.Invocation;

/// <summary>
/// Runs PYTHON metrics in the <c>dp-python-metric</c> app by Dapr service invocation over the sidecar's HTTP API
/// (<c>/v1.0/invoke/dp-python-metric/method/internal/python-metric/run</c>), through the HttpClient of
/// <see cref="DaprClient.CreateInvokeHttpClient"/>: it rewrites <c>http://dp-python-metric/...</c> to the sidecar and adds
/// the sidecar's own <c>dapr-api-token</c> when DAPR_API_TOKEN is set; the callee's sidecar presents the app's token.
/// Keeps <see cref="IPythonMetricRunner"/>'s contract: a user-code failure is a result; a 429 from the app is a
/// <see cref="PythonMetricBusyException"/>; any other failure of the call throws.
/// </summary>
public sealed class DaprPythonMetricRunner(HttpClient invoke) : IPythonMetricRunner
{
    /// <summary>Waited before retrying when the app says it is busy without a Retry-After.</summary>
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    // The host is the app id: the invoke client turns it into the sidecar's invoke path.
    private static readonly Uri Method = new($"http://{AppIds.PythonMetric}/{PythonMetricInvocation.RunMethod}");

    /// <summary>The runner over the sidecar at <paramref name="daprEndpoint"/> (null: DAPR_HTTP_ENDPOINT or DAPR_HTTP_PORT, as every Dapr client).</summary>
    public static DaprPythonMetricRunner Create(string? daprEndpoint = null, string? daprApiToken = null) =>
        new(DaprClient.CreateInvokeHttpClient(AppIds.PythonMetric, daprEndpoint, daprApiToken));

    /// <inheritdoc />
    public async Task<PythonMetricRunResult> RunAsync(PythonMetricRunRequest request, CancellationToken cancellationToken)
    {
        using var response = await invoke.PostAsJsonAsync(Method, request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
            throw new PythonMetricBusyException("The Python metric service is saturated; retry shortly.",
                response.Headers.RetryAfter?.Delta ?? DefaultRetryAfter);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException(
                $"Dapr invocation of {AppIds.PythonMetric} answered {(int)response.StatusCode}: {await ReadSomeAsync(response, cancellationToken)}",
                null, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<PythonMetricRunResult>(cancellationToken)
            ?? throw new InvalidDataException($"{AppIds.PythonMetric} answered an empty result.");
    }

    private static async Task<string> ReadSomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length <= 500 ? text : text[..500] + "...";
    }
}
