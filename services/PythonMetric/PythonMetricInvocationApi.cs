using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.PythonMetric;

/// <summary>
/// The <c>dp-python-metric</c> app's Dapr invocation endpoint: <c>POST /internal/python-metric/run</c>, a
/// <see cref="PythonMetricRunRequest"/> in, a <see cref="PythonMetricRunResult"/> out. Only daprd may call it:
/// every call must carry the app API token (APP_API_TOKEN, sent by daprd as <c>dapr-api-token</c>), and
/// without a configured token every call is refused, because the route runs arbitrary code for any project.
/// </summary>
public static class PythonMetricInvocationApi
{
    public const string Route = "/" + PythonMetricInvocation.RunMethod;

    public static void MapPythonMetricInvocation(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var token = AppApiToken.From(configuration);
        app.MapPost(Route, (HttpRequest request, PythonMetricRunRequest body, IPythonMetricRunner runner, CancellationToken cancellationToken) =>
                RunAsync(token, request, body, runner, cancellationToken))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    private static async Task<Ok<PythonMetricRunResult>> RunAsync(
        AppApiToken token, HttpRequest request, PythonMetricRunRequest body, IPythonMetricRunner runner, CancellationToken cancellationToken)
    {
        token.Check(request);
        try
        {
            return TypedResults.Ok(await runner.RunAsync(body, cancellationToken));
        }
        catch (PythonMetricBusyException busy)
        {
            throw ApiRequestException.TooManyRequests(busy.Message, busy.RetryAfter);
        }
    }
}
