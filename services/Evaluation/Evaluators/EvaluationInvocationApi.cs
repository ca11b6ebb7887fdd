using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using HoneyHive.ServiceDefaults.Auth;

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
        var token = AppApiToken.From(configuration);
        app.MapPost(Route, (HttpRequest request, EvaluationRequest body, MetricEvaluator evaluator, CancellationToken cancellationToken) =>
                EvaluateAsync(token, request, body, evaluator, cancellationToken))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    private static async Task<Ok<EvaluationResult>> EvaluateAsync(
        AppApiToken token, HttpRequest request, EvaluationRequest body, MetricEvaluator evaluator, CancellationToken cancellationToken)
    {
        token.Check(request);
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
