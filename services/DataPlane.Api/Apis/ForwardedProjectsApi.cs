using System.Text.Json.Serialization;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// POST/PUT/DELETE /v1/projects (and the SDK's /projects): creating, renaming and deleting projects is the control
/// plane's business, so the data plane forwards these calls to it with the caller's credentials and relays the
/// answer. They declare projects:manage for the route guards and the CP checks it (a project key needs its admin scope
/// there): the DP holds no project it could create.
/// </summary>
public static class ForwardedProjectsApi
{
    public static void MapForwardedProjectsApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1/projects", "/projects" })
        {
            app.MapPost(prefix, ForwardAsync).PermissionCheckedByHandler(Permissions.ProjectsManage)
                .Accepts<PostProjectRequest>("application/json").Produces<PostProjectResponse>();
            app.MapPut(prefix, ForwardAsync).PermissionCheckedByHandler(Permissions.ProjectsManage)
                .Accepts<PutProjectRequest>("application/json").Produces<PostProjectResponse>();
            app.MapDelete(prefix, ForwardAsync).PermissionCheckedByHandler(Permissions.ProjectsManage).Produces(StatusCodes.Status200OK);
        }
    }

    private static Task<IResult> ForwardAsync(HttpContext context, ControlPlaneForwarder controlPlane, CancellationToken cancellationToken) =>
        controlPlane.ForwardAsync(context, cancellationToken);

    // Classes with only the name required: the OpenAPI document marks every constructor parameter of a record required.

    /// <summary>PostProjectRequest of honeyhive-openapi.yaml.</summary>
    public sealed class PostProjectRequest
    {
        [JsonPropertyName("name")] public required string Name { get; init; }
        [JsonPropertyName("description")] public string? Description { get; init; }
        [JsonPropertyName("type")] public string? Type { get; init; }
    }

    /// <summary>PutProjectRequest of honeyhive-openapi.yaml.</summary>
    public sealed class PutProjectRequest
    {
        [JsonPropertyName("name")] public required string Name { get; init; }
        [JsonPropertyName("new_name")] public string? NewName { get; init; }
        [JsonPropertyName("description")] public string? Description { get; init; }
        [JsonPropertyName("type")] public string? Type { get; init; }
    }

    /// <summary>PostProjectResponse of honeyhive-openapi.yaml.</summary>
    public sealed record PostProjectResponse(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("org_id")] string OrgId,
        [property: JsonPropertyName("workspace_id")] string WorkspaceId,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt);
}
