using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace HoneyHive.LlmProxy.Apis;

/// <summary><c>POST /v1/embeddings</c>, OpenAI's embeddings, to any provider that has them.</summary>
public static class EmbeddingsApi
{
    public static void MapEmbeddingsApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/embeddings", HandleAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.LlmInvoke);

    private static async Task HandleAsync(HttpContext context, ClaimsPrincipal user, ModelCallHandler handler, IOptions<LlmProxyOptions> options)
    {
        if (await OpenAiRequests.ReadCheckedAsync(context, options.Value.MaxRequestBytes, CheckEmbeddingsRequest) is not { } body) return;
        var call = new ModelCall(CallScope.Of(user, context.Request), ModelOperation.Embeddings, OpenAiRequests.RequiredString(body, "model"), body, Streamed: false);
        await handler.HandleAsync(context, call, context.RequestAborted);
    }

    private static void CheckEmbeddingsRequest(JsonObject body)
    {
        OpenAiRequests.RequiredString(body, "model");
        if (body["input"] is not (JsonValue or JsonArray { Count: > 0 }))
            throw OpenAiErrorException.Invalid("input", "input is required: a string, an array of strings, or an array of token arrays.");
    }
}
