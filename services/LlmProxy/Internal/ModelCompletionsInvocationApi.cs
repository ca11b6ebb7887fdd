using System.Globalization;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Llm;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.LlmProxy.Internal;

/// <summary>
/// The <c>dp-llm-proxy</c> app's Dapr invocation endpoint for platform completions
/// (<see cref="ModelCompletionsInvocation.CompleteMethod"/>). Only daprd may call it: every call must carry the app API
/// token (APP_API_TOKEN, which daprd sends as <c>dapr-api-token</c>); without a configured token every call is refused,
/// because the route spends any project's provider keys.
/// </summary>
public static class ModelCompletionsInvocationApi
{
    public const string Route = "/" + ModelCompletionsInvocation.CompleteMethod;

    public static void MapModelCompletionsInvocation(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var token = AppApiToken.From(configuration);
        app.MapPost(Route, (HttpContext context, ModelCompletionRequest body, InProcessModelCompletions completions) =>
                CompleteAsync(token, context, body, completions))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    private static async Task CompleteAsync(AppApiToken token, HttpContext context, ModelCompletionRequest body, InProcessModelCompletions completions)
    {
        token.Check(context.Request);
        var response = context.Response;
        try
        {
            var completion = await completions.CompleteAsync(body, context.RequestAborted);
            await response.WriteAsJsonAsync(completion, context.RequestAborted);
        }
        catch (ModelCompletionException error)
        {
            // The proxy's own answer to a client, so the caller's DaprModelCompletions rebuilds the same exception.
            response.StatusCode = error.Status;
            if (error.RetryAfter is { } wait)
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await response.WriteAsJsonAsync(new JsonObject
            {
                ["error"] = new JsonObject { ["message"] = error.Message, ["type"] = error.Code, ["code"] = error.Code },
            }, context.RequestAborted);
        }
    }
}
