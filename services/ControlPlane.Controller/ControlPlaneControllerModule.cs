using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.ControlPlane.Controller;

/// <summary>DP lifecycle, identity bootstrap, the CP end of the sync stream.</summary>
public static class ControlPlaneControllerModule
{
    public const string AppId = AppIds.ControlPlaneController;

    public static IHostApplicationBuilder AddControlPlaneController(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapControlPlaneController(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
