using System.Security.Cryptography;
using System.Text;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// The <c>dp-evaluation</c> app's Dapr invocation endpoint (<see cref="EvaluationInvocation.EvaluateMethod"/>): an
/// <see cref="EvaluationRequest"/> in, an <see cref="EvaluationResult"/> out, 429 with Retry-After when the engine is busy.
/// Only daprd may call it: every call must carry the app API token (APP_API_TOKEN, sent by daprd as
/// <c>dapr-api-token</c>); without a configured token every call is refused, because the request names any project.
/// </summary>
public static class EvaluationInvocationApi
{
    public const string Route = "/" + EvaluationInvocation.EvaluateMethod;

    public static void MapEvaluationInvocation(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var token = configuration[PythonMetricInvocation.AppApiTokenVariable];
        // Hashed once: comparing fixed-length digests in constant time reveals neither the token nor its length.
        var expected = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        app.MapPost(Route, (HttpRequest request, EvaluationRequest body, MetricEvaluator evaluator, CancellationToken cancellationToken) =>
                EvaluateAsync(expected, request, body, evaluator, cancellationToken))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    private static async Task<Ok<EvaluationResult>> EvaluateAsync(
        byte[]? expected, HttpRequest request, EvaluationRequest body, MetricEvaluator evaluator, CancellationToken cancellationToken)
    {
        if (expected is null)
            throw new ApiRequestException(StatusCodes.Status401Unauthorized, null,
                $"{PythonMetricInvocation.AppApiTokenVariable} is not configured: this app takes no calls until it is.");
        var presented = request.Headers[PythonMetricInvocation.AppApiTokenHeader].ToString();
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected))
            throw new ApiRequestException(StatusCodes.Status401Unauthorized, null, $"Missing or wrong {PythonMetricInvocation.AppApiTokenHeader}.");
        try
        {
            return TypedResults.Ok(await evaluator.EvaluateAsync(body, cancellationToken));
        }
        catch (EvaluatorBusyException busy)
        {
            throw ApiRequestException.TooManyRequests(busy.Message, busy.RetryAfter);
        }
    }
}
