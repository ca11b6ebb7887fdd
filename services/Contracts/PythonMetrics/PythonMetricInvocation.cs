namespace HoneyHive.Contracts.PythonMetrics;

/// <summary>
/// How a distributed data plane reaches the Python metric service: Dapr service invocation of app
/// <see cref="AppIds.PythonMetric"/>, method <see cref="RunMethod"/>, body <see cref="PythonMetricRunRequest"/>,
/// answer <see cref="PythonMetricRunResult"/> (200) or 429 when the pool is saturated.
/// </summary>
public static class PythonMetricInvocation
{
    /// <summary>The invoked method: the app's route without its leading slash.</summary>
    public const string RunMethod = "internal/python-metric/run";

    /// <summary>The header daprd adds to every call it delivers when the app's <see cref="AppApiTokenVariable"/> is set.</summary>
    public const string AppApiTokenHeader = "dapr-api-token";

    /// <summary>The environment variable holding the token daprd presents to the app (Dapr's app API token).</summary>
    public const string AppApiTokenVariable = "APP_API_TOKEN";
}
