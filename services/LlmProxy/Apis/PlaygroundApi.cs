using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.LlmProxy.Apis;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.LlmProxy.Playground;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace HoneyHive.LlmProxy.Apis;

/// <summary>
/// <c>POST /v1/playground/run</c>: runs a prompt configuration of the caller's project with variables, against its own
/// model or another, streamed or not, through the same handler as <c>/v1/chat/completions</c> (limits, retries,
/// fallbacks, SSE, the trace, which carries the configuration id and version). The reference API has no playground
/// route, so this is ours; <c>save: true</c> first keeps the configuration as run (model, hyperparameters, template)
/// as its next version, and the run then traces that version. The answer is the chat completion (or its stream),
/// with the configuration and version in <c>X-HH-Configuration-Id</c> and <c>X-HH-Configuration-Version</c>.
/// </summary>
public static class PlaygroundApi
{
    public const string ConfigurationIdHeader = "X-HH-Configuration-Id";
    public const string ConfigurationVersionHeader = "X-HH-Configuration-Version";

    public static void MapPlaygroundApi(this IEndpointRouteBuilder app) =>
        // The declared permission is spending the workspace's provider credit; reading the configuration (and, to save,
        // writing it) is checked in the handler, so that a refusal names the permission actually missing.
        app.MapPost("/v1/playground/run", RunAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.LlmInvoke);

    private static async Task RunAsync(
        HttpContext context, ClaimsPrincipal user, ModelCallHandler handler, ConfigurationStore configurations, IOptions<LlmProxyOptions> options)
    {
        var cancellationToken = context.RequestAborted;
        ModelCall call;
        try
        {
            if (!user.Has(Permissions.ConfigurationsRead))
                throw Forbidden(Permissions.ConfigurationsRead, "Running a configuration reads it");
            var body = await OpenAiRequests.ReadObjectAsync(context.Request, options.Value.MaxRequestBytes, cancellationToken);
            var request = PlaygroundRequest.Parse(body);
            var project = user.ProjectId();
            var stored = (request.Version is { } version
                    ? await configurations.GetVersionAsync(project, request.ConfigurationId, version, cancellationToken)
                    : await configurations.GetAsync(project, request.ConfigurationId, cancellationToken))
                ?? throw new OpenAiErrorException(404, "not_found_error",
                    $"Configuration {request.ConfigurationId}{(request.Version is { } v ? " version " + v : "")} does not exist in this project.", param: "configuration_id", retryable: false);

            // After the lookup: a configuration of another project is not found, whatever the caller may do.
            if (request.Save && !user.Has(Permissions.ConfigurationsWrite))
                throw Forbidden(Permissions.ConfigurationsWrite, "Saving a run as a configuration version");
            var content = PlaygroundRun.Edit(stored.Content, request);
            // Rendered before saving: a run that cannot start saves nothing.
            var chat = PlaygroundRun.ChatRequest(content, request.Inputs, request.Model, request.Stream);
            ChatCompletionsApi.CheckChatRequest(chat);
            var runVersion = stored.Version;
            if (request.Save)
            {
                var saved = await configurations.AddVersionAsync(project, request.ConfigurationId, _ => content, cancellationToken)
                    ?? throw new OpenAiErrorException(404, "not_found_error", $"Configuration {request.ConfigurationId} was deleted meanwhile.", param: "configuration_id", retryable: false);
                runVersion = saved.Version;
            }
            context.Response.Headers[ConfigurationIdHeader] = stored.Id.ToString();
            context.Response.Headers[ConfigurationVersionHeader] = runVersion.ToString(CultureInfo.InvariantCulture);
            var scope = CallScope.Of(user, context.Request) with { ConfigurationId = stored.Id.ToString(), ConfigurationVersion = runVersion };
            call = new ModelCall(scope, ModelOperation.Chat, OpenAiRequests.RequiredString(chat, "model"), chat, request.Stream);
        }
        catch (OpenAiErrorException error)
        {
            await error.WriteAsync(context.Response, cancellationToken);
            return;
        }
        await handler.HandleAsync(context, call, cancellationToken);
    }

    private static OpenAiErrorException Forbidden(string permission, string what) =>
        new(403, "permission_error", $"{what} needs the '{permission}' permission in this project (a project key with the '{Permissions.KeyScopeFor(permission)}' scope).",
            "missing_permission", retryable: false);
}
