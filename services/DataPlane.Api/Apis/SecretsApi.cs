using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// AI provider keys of the caller's workspace (the specs name no route for them, so these are ours).
/// Writes take the plaintext; every read returns a masked value only.
/// </summary>
public static class SecretsApi
{
    public static void MapSecretsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/provider-secrets").RequirePermission(Permissions.SecretsManage);
        group.MapGet("", ListAsync);
        group.MapPost("/rotate", RotateAsync);
        group.MapGet("/{provider}", GetAsync);
        group.MapPut("/{provider}", PutAsync);
        group.MapDelete("/{provider}", DeleteAsync);
    }

    private static async Task<Ok<JsonObject>> ListAsync(ClaimsPrincipal user, ProviderSecretStore store, string? limit, CancellationToken cancellationToken)
    {
        var secrets = await store.ListAsync(user.WorkspaceId(), ListLimit.Resolve(limit, 100), cancellationToken);
        return TypedResults.Ok(new JsonObject { ["secrets"] = new JsonArray([.. secrets.Select(View)]) });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetAsync(
        ClaimsPrincipal user, ProviderSecretStore store, string provider, CancellationToken cancellationToken)
    {
        var secret = await store.GetInfoAsync(user.WorkspaceId(), provider, cancellationToken);
        return secret is null ? ApiResults.NotFound("Provider secret") : TypedResults.Ok(View(secret));
    }

    private static async Task<Ok<JsonObject>> PutAsync(
        ClaimsPrincipal user, ProviderSecretStore store, string provider, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, new HashSet<string> { "value" }, errors);
        var value = JsonBody.String(body, "value", "value", errors, required: true);
        errors.ThrowIfAny();
        return TypedResults.Ok(View(await store.PutAsync(user.WorkspaceId(), provider, value!, cancellationToken)));
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        ClaimsPrincipal user, ProviderSecretStore store, string provider, CancellationToken cancellationToken) =>
        await store.DeleteAsync(user.WorkspaceId(), provider, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["deleted"] = true })
            : ApiResults.NotFound("Provider secret");

    /// <summary>Re-wraps the workspace's data keys under the current master key (after an operator rotated Secrets:MasterKey).</summary>
    private static async Task<Ok<JsonObject>> RotateAsync(ClaimsPrincipal user, ProviderSecretStore store, CancellationToken cancellationToken)
    {
        var result = await store.RotateAsync(user.WorkspaceId(), cancellationToken);
        return TypedResults.Ok(new JsonObject { ["rewrapped"] = result.Rewrapped, ["unreadable"] = result.Unreadable, ["key_id"] = result.KeyId });
    }

    private static JsonObject View(ProviderSecretInfo secret) => new()
    {
        ["provider"] = secret.Provider,
        ["masked_value"] = secret.Masked,
        ["created_at"] = MetricViews.Timestamp(secret.CreatedAt),
        ["updated_at"] = MetricViews.Timestamp(secret.UpdatedAt),
    };
}
