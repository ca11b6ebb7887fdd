using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace HoneyHive.LlmProxy.Apis;

/// <summary>
/// <c>POST /v1/chat/completions</c>, OpenAI's chat completions, to any provider: the body as OpenAI documents it
/// (tools, response_format, images in messages, n, stop, seed, temperature... passed through or translated by the
/// provider's adapter), answered as OpenAI answers, streamed as server-sent events when <c>stream</c> is true.
/// </summary>
public static class ChatCompletionsApi
{
    public static void MapChatCompletionsApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/chat/completions", HandleAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.LlmInvoke);

    private static async Task HandleAsync(HttpContext context, ClaimsPrincipal user, ModelCallHandler handler, IOptions<LlmProxyOptions> options)
    {
        if (await OpenAiRequests.ReadCheckedAsync(context, options.Value.MaxRequestBytes, CheckChatRequest) is not { } body) return;
        var call = new ModelCall(CallScope.Of(user, context.Request), ModelOperation.Chat, OpenAiRequests.RequiredString(body, "model"), body,
            OpenAiRequests.OptionalBool(body, "stream"));
        await handler.HandleAsync(context, call, context.RequestAborted);
    }

    /// <summary>The fields the proxy itself relies on; the rest is the provider's to judge.</summary>
    public static void CheckChatRequest(JsonObject body)
    {
        OpenAiRequests.RequiredString(body, "model");
        if (body["messages"] is not JsonArray { Count: > 0 } messages)
            throw OpenAiErrorException.Invalid("messages", "messages is required: a non-empty array of {role, content} objects.");
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message || message["role"] is not JsonValue role || !role.TryGetValue<string>(out var name) || name.Length == 0)
                throw OpenAiErrorException.Invalid($"messages[{i}]", $"messages[{i}] must be an object with a role (system, developer, user, assistant or tool).");
        }
        var stream = OpenAiRequests.OptionalBool(body, "stream");
        if (body["stream_options"] is { } streamOptions && (!stream || streamOptions is not JsonObject))
            throw OpenAiErrorException.Invalid("stream_options", "stream_options is allowed only with stream: true, as an object.");
        OpenAiRequests.OptionalInt(body, "n", 1, 128);
    }
}
