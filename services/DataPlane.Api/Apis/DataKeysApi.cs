using System.Security.Claims;
using System.Text.Json.Serialization;
using HoneyHive.Platform.Objects.Encryption;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// The data keys that encrypt a project's large payloads and archives in the object store (README, "Encryption at
/// rest"): <c>GET /v1/projects/{project_id}/data_keys</c> lists their versions (never key material), and
/// <c>POST .../data_keys/rotate</c> makes a new version that takes every new write from now on, as a suspected leak
/// calls for; older versions stay and keep opening what they wrote, so nothing is rewritten. Other replicas move to
/// the new version within <c>ObjectStore:Encryption:CurrentKeyRefresh</c>. Key management is an admin's:
/// secrets:manage (a key's admin scope), and the caller's own project only.
/// </summary>
public static class DataKeysApi
{
    private const string NotTheCallers = "No data keys of this project for the caller: a key or token manages its own project's keys only.";

    public static void MapDataKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/projects/{project_id}/data_keys").RequirePermission(Permissions.SecretsManage);
        group.MapGet("", ListAsync);
        group.MapPost("/rotate", RotateAsync);
    }

    private static async Task<Ok<DataKeysResponse>> ListAsync(
        ClaimsPrincipal user, [FromRoute(Name = "project_id")] string projectId,
        [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb, IServiceProvider services,
        CancellationToken cancellationToken)
    {
        var project = await OwnProject.RequireAsync(user, projectId, dpdb, NotTheCallers, cancellationToken);
        if (services.GetService<ObjectDataKeys>() is not { } keys)
            return TypedResults.Ok(new DataKeysResponse(project.ToString("D"), Encrypted: false, []));
        var versions = await keys.ListAsync(ObjectEncryptionScopes.Project(project), cancellationToken);
        // The newest is current only while it takes new writes: an aged-out one is replaced at the next write.
        var newestTakesWrites = keys.NewestTakesWrites(versions);
        return TypedResults.Ok(new DataKeysResponse(project.ToString("D"), Encrypted: true,
            versions.Select((v, i) => new DataKeyView(v.Id, v.CreatedAt, v.MasterKeyId, Current: i == versions.Count - 1 && newestTakesWrites)).ToList()));
    }

    private static async Task<Ok<RotatedResponse>> RotateAsync(
        ClaimsPrincipal user, [FromRoute(Name = "project_id")] string projectId,
        [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb, IServiceProvider services,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var project = await OwnProject.RequireAsync(user, projectId, dpdb, NotTheCallers, cancellationToken);
        var keys = services.GetService<ObjectDataKeys>() ?? throw ApiRequestException.Conflict(null,
            "Object-store encryption is off on this data plane (Secrets:MasterKey is not set), so there is no data key to rotate.");
        var scope = ObjectEncryptionScopes.Project(project);
        var versions = await keys.ListAsync(scope, cancellationToken);
        var previous = versions.Count > 0 ? versions[^1] : null;
        var fresh = await keys.RotateAsync(scope, cancellationToken);
        loggers.CreateLogger(typeof(DataKeysApi)).LogInformation(
            "Data key of project {ProjectId} rotated to {KeyId} (was {PreviousId})", project, fresh.Id, previous?.Id);
        return TypedResults.Ok(new RotatedResponse(project.ToString("D"), fresh.Id, fresh.CreatedAt, previous?.Id));
    }

    public sealed record DataKeyView(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("master_key_id")] string MasterKeyId,
        [property: JsonPropertyName("current")] bool Current);

    public sealed record DataKeysResponse(
        [property: JsonPropertyName("project_id")] string ProjectId,
        [property: JsonPropertyName("encrypted")] bool Encrypted,
        [property: JsonPropertyName("data_keys")] IReadOnlyList<DataKeyView> DataKeys);

    public sealed record RotatedResponse(
        [property: JsonPropertyName("project_id")] string ProjectId,
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("previous_id")] string? PreviousId);
}
