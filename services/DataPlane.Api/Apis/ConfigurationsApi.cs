using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Prompt configurations: the spec's <c>/v1/configurations</c> routes plus version history, and the
/// legacy <c>/configurations</c> routes the SDK 1.0.42 calls (bare-array list, <c>_id</c>,
/// <c>project</c>). A save never overwrites: each PUT writes a new version.
/// </summary>
public static class ConfigurationsApi
{
    public static void MapConfigurationsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1/configurations");
        v1.MapGet("", ListAsync).RequirePermission(Permissions.ConfigurationsRead);
        v1.MapPost("", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.ConfigurationsWrite);
        v1.MapGet("/{configId}", GetAsync).RequirePermission(Permissions.ConfigurationsRead);
        v1.MapPut("/{configId}", UpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.ConfigurationsWrite);
        v1.MapDelete("/{configId}", DeleteAsync).RequirePermission(Permissions.ConfigurationsWrite);
        v1.MapGet("/{configId}/versions", ListVersionsAsync).RequirePermission(Permissions.ConfigurationsRead);
        v1.MapGet("/{configId}/versions/{version:int}", GetVersionAsync).RequirePermission(Permissions.ConfigurationsRead);

        var legacy = app.MapGroup("/configurations");
        legacy.MapGet("", LegacyListAsync).RequirePermission(Permissions.ConfigurationsRead);
        legacy.MapPost("", LegacyCreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.ConfigurationsWrite);
        legacy.MapPut("/{configId}", LegacyUpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.ConfigurationsWrite);
        legacy.MapDelete("/{configId}", DeleteAsync).RequirePermission(Permissions.ConfigurationsWrite);
    }

    // The SDK sends the project (name or id) in the body; the key already decides the project.
    private static readonly HashSet<string> LegacyFields = [.. ConfigurationDefinition.Fields, "project"];

    private static async Task<Ok<JsonObject>> ListAsync(
        ClaimsPrincipal user, ConfigurationStore store, string? name, string? env, string? tags, string? limit, CancellationToken cancellationToken)
    {
        var configurations = await ListCoreAsync(user, store, name, env, tags, limit, cancellationToken);
        return TypedResults.Ok(new JsonObject { ["configurations"] = new JsonArray([.. configurations.Select(ConfigurationViews.Item)]) });
    }

    private static async Task<Ok<JsonArray>> LegacyListAsync(
        ClaimsPrincipal user, ConfigurationStore store, string? name, string? env, string? tags, string? limit, CancellationToken cancellationToken)
    {
        var configurations = await ListCoreAsync(user, store, name, env, tags, limit, cancellationToken);
        var project = user.FindFirstValue(ApiKeyIdentity.ProjectNameClaim) ?? user.ProjectId().ToString();
        return TypedResults.Ok(new JsonArray([.. configurations.Select(c => ConfigurationViews.Legacy(c, project))]));
    }

    private static Task<IReadOnlyList<StoredConfiguration>> ListCoreAsync(
        ClaimsPrincipal user, ConfigurationStore store, string? name, string? env, string? tags, string? limit, CancellationToken cancellationToken)
    {
        var take = ListLimit.Resolve(limit);
        if (env is not null && !ConfigurationDefinition.Environments.Contains(env))
            throw ApiRequestException.BadRequest("env", $"Must be one of: {string.Join(", ", ConfigurationDefinition.Environments)}.");
        var tagList = tags?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return store.ListAsync(user.ProjectId(), name, env, tagList is { Length: > 0 } ? tagList : null, null, take, cancellationToken);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, CancellationToken cancellationToken)
    {
        var configuration = Guid.TryParse(configId, out var id) ? await store.GetAsync(user.ProjectId(), id, cancellationToken) : null;
        return configuration is null ? ApiResults.NotFound("Configuration") : TypedResults.Ok(ConfigurationViews.Item(configuration));
    }

    private static Task<Ok<JsonObject>> CreateAsync(ClaimsPrincipal user, ConfigurationStore store, HttpRequest request, CancellationToken cancellationToken) =>
        CreateCoreAsync(user, store, request, ConfigurationDefinition.Fields, cancellationToken);

    private static Task<Ok<JsonObject>> LegacyCreateAsync(ClaimsPrincipal user, ConfigurationStore store, HttpRequest request, CancellationToken cancellationToken) =>
        CreateCoreAsync(user, store, request, LegacyFields, cancellationToken);

    private static async Task<Ok<JsonObject>> CreateCoreAsync(
        ClaimsPrincipal user, ConfigurationStore store, HttpRequest request, IReadOnlySet<string> allowed, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, allowed, errors);
        body.Remove("project");
        var content = ConfigurationDefinition.Normalize(body, errors);
        errors.ThrowIfAny();
        var id = await store.CreateAsync(user.ProjectId(), content, cancellationToken);
        return TypedResults.Ok(new JsonObject { ["acknowledged"] = true, ["insertedId"] = id.ToString() });
    }

    private static Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, HttpRequest request, CancellationToken cancellationToken) =>
        UpdateCoreAsync(user, store, configId, request, ConfigurationDefinition.Fields, cancellationToken);

    private static Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> LegacyUpdateAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, HttpRequest request, CancellationToken cancellationToken) =>
        UpdateCoreAsync(user, store, configId, request, LegacyFields, cancellationToken);

    /// <summary>The fields given replace the current version's (name is required, as in the spec); the result is a new version.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateCoreAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, HttpRequest request, IReadOnlySet<string> allowed, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, allowed, errors);
        JsonBody.String(body, "name", "name", errors, required: true, maxLength: ConfigurationDefinition.MaxName, nonBlank: true);
        errors.ThrowIfAny();
        body.Remove("project");
        if (!Guid.TryParse(configId, out var id)) return ApiResults.NotFound("Configuration");
        var saved = await store.AddVersionAsync(user.ProjectId(), id, current =>
        {
            var merged = (JsonObject)current.DeepClone();
            foreach (var (key, value) in body) merged[key] = value?.DeepClone();
            var check = new FieldErrors();
            var content = ConfigurationDefinition.Normalize(merged, check);
            check.ThrowIfAny();
            return content;
        }, cancellationToken);
        return saved is null
            ? ApiResults.NotFound("Configuration")
            : TypedResults.Ok(new JsonObject
            {
                ["acknowledged"] = true, ["modifiedCount"] = 1, ["upsertedId"] = null, ["upsertedCount"] = 0, ["matchedCount"] = 1,
                ["version"] = saved.Version,
            });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, CancellationToken cancellationToken) =>
        Guid.TryParse(configId, out var id) && await store.DeleteAsync(user.ProjectId(), id, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["acknowledged"] = true, ["deletedCount"] = 1 })
            : ApiResults.NotFound("Configuration");

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> ListVersionsAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, string? limit, CancellationToken cancellationToken)
    {
        var take = ListLimit.Resolve(limit);
        var versions = Guid.TryParse(configId, out var id) ? await store.ListVersionsAsync(user.ProjectId(), id, take, cancellationToken) : null;
        return versions is null
            ? ApiResults.NotFound("Configuration")
            : TypedResults.Ok(new JsonObject { ["versions"] = new JsonArray([.. versions.Select(ConfigurationViews.Version)]) });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetVersionAsync(
        ClaimsPrincipal user, ConfigurationStore store, string configId, int version, CancellationToken cancellationToken)
    {
        var found = Guid.TryParse(configId, out var id) ? await store.GetVersionAsync(user.ProjectId(), id, version, cancellationToken) : null;
        return found is null ? ApiResults.NotFound("Configuration version") : TypedResults.Ok(ConfigurationViews.Version(found));
    }
}
