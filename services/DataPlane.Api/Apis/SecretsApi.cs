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

    /// <summary>
    /// Stores a key with its kind, base URL and settings. <c>value</c> is always required: a base URL (where the key is
    /// sent) never changes without the key being given again, so a caller who can manage secrets but does not know
    /// a key cannot send it to a server of their choosing.
    /// </summary>
    private static async Task<Ok<JsonObject>> PutAsync(
        ClaimsPrincipal user, ProviderSecretStore store, string provider, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, new HashSet<string> { "value", "kind", "base_url", "settings" }, errors);
        var value = JsonBody.String(body, "value", "value", errors, required: true);
        var kind = JsonBody.String(body, "kind", "kind", errors);
        var baseUrl = JsonBody.String(body, "base_url", "base_url", errors);
        var settings = JsonBody.Object(body, "settings", "settings", errors);
        errors.ThrowIfAny();
        var input = new ProviderSecretInput(value!, kind, baseUrl, settings);
        return TypedResults.Ok(View(await store.PutAsync(user.WorkspaceId(), provider, input, cancellationToken)));
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
        ["kind"] = secret.Kind,
        ["base_url"] = secret.BaseUrl,
        ["settings"] = secret.Settings.DeepClone(),
        ["created_at"] = MetricViews.Timestamp(secret.CreatedAt),
        ["updated_at"] = MetricViews.Timestamp(secret.UpdatedAt),
    };
}
