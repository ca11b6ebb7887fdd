using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.LlmProxy.Routing;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.LlmProxy.Apis;

/// <summary>
/// <c>GET /v1/models</c> in OpenAI's list shape: the workspace's aliases, then one entry per provider it holds a key
/// for (<c>provider/*</c>: any of that provider's models may be named after the slash).
/// </summary>
public static class ModelsApi
{
    public static void MapModelsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/models", ListAsync).RequirePermission(Permissions.LlmInvoke);

    private static async Task<Ok<JsonObject>> ListAsync(
        ClaimsPrincipal user, ProviderSecretStore secrets, [FromServices] IModelAliases? aliases, CancellationToken cancellationToken)
    {
        var workspace = user.WorkspaceId();
        var data = new JsonArray();
        if (aliases is not null)
        {
            foreach (var alias in await aliases.ListAsync(workspace, cancellationToken))
                data.Add(Model(alias.Name, "alias", alias.CreatedAt));
        }
        foreach (var secret in await secrets.ListAsync(workspace, 1_000, cancellationToken))
            data.Add(Model(secret.Provider + "/*", secret.Provider, secret.CreatedAt));
        return TypedResults.Ok(new JsonObject { ["object"] = "list", ["data"] = data });
    }

    private static JsonObject Model(string id, string ownedBy, DateTime created) => new()
    {
        ["id"] = id,
        ["object"] = "model",
        ["created"] = new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)).ToUnixTimeSeconds(),
        ["owned_by"] = ownedBy,
    };
}
