using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.LlmProxy.Routing;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.LlmProxy.Apis;

/// <summary>
/// The workspace's model aliases: a name callers send as <c>model</c> and the provider/model targets it falls back
/// over, in order. Anyone who may call models may read them (they name no secret); changing where calls go is a
/// secrets manager's decision.
/// </summary>
public static class ModelAliasesApi
{
    public static void MapModelAliasesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/model-aliases");
        group.MapGet("", ListAsync).RequirePermission(Permissions.LlmInvoke);
        group.MapGet("/{name}", GetAsync).RequirePermission(Permissions.LlmInvoke);
        group.MapPut("/{name}", PutAsync).RequirePermission(Permissions.SecretsManage);
        group.MapDelete("/{name}", DeleteAsync).RequirePermission(Permissions.SecretsManage);
    }

    private static async Task<Ok<JsonObject>> ListAsync(ClaimsPrincipal user, ModelAliasStore store, string? limit, CancellationToken cancellationToken)
    {
        var aliases = await store.ListAsync(user.WorkspaceId(), cancellationToken);
        var take = ListLimit.Resolve(limit, ModelAliasStore.MaxAliasesPerWorkspace);
        return TypedResults.Ok(new JsonObject { ["aliases"] = new JsonArray([.. aliases.Take(take).Select(View)]) });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetAsync(
        ClaimsPrincipal user, ModelAliasStore store, string name, CancellationToken cancellationToken) =>
        await store.FindAsync(user.WorkspaceId(), name, cancellationToken) is { } alias ? TypedResults.Ok(View(alias)) : ApiResults.NotFound("Model alias");

    private static async Task<Ok<JsonObject>> PutAsync(
        ClaimsPrincipal user, ModelAliasStore store, string name, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, new HashSet<string> { "targets" }, errors);
        var array = JsonBody.Array(body, "targets", "targets", errors, minItems: 1, maxItems: ModelAliasStore.MaxTargets);
        if (array is null && body["targets"] is null) errors.Add("targets", "Required.");
        var targets = new List<string>();
        for (var i = 0; array is not null && i < array.Count; i++)
        {
            if (JsonBody.Kind(array[i]) == JsonValueKind.String) targets.Add(array[i]!.GetValue<string>());
            else errors.Add($"targets[{i}]", "Must be a string: provider/model.");
        }
        errors.ThrowIfAny();
        return TypedResults.Ok(View(await store.PutAsync(user.WorkspaceId(), name, targets, cancellationToken)));
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        ClaimsPrincipal user, ModelAliasStore store, string name, CancellationToken cancellationToken) =>
        await store.DeleteAsync(user.WorkspaceId(), name, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["deleted"] = true })
            : ApiResults.NotFound("Model alias");

    private static JsonObject View(ModelAlias alias) => new()
    {
        ["name"] = alias.Name,
        ["targets"] = new JsonArray([.. alias.Targets.Select(t => (JsonNode)t.ToString())]),
        ["created_at"] = MetricViews.Timestamp(alias.CreatedAt),
        ["updated_at"] = MetricViews.Timestamp(alias.UpdatedAt),
    };
}
