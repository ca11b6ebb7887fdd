using HoneyHive.Contracts.Projects;
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
                .Accepts<PostProjectRequest>("application/json").Produces<LegacyProject>();
            app.MapPut(prefix, ForwardAsync).PermissionCheckedByHandler(Permissions.ProjectsManage)
                .Accepts<PutProjectRequest>("application/json").Produces<LegacyProject>();
            app.MapDelete(prefix, ForwardAsync).PermissionCheckedByHandler(Permissions.ProjectsManage).Produces(StatusCodes.Status200OK);
        }
    }

    private static Task<IResult> ForwardAsync(HttpContext context, ControlPlaneForwarder controlPlane, CancellationToken cancellationToken) =>
        controlPlane.ForwardAsync(context, cancellationToken);
}
