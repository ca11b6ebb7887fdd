using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.DataPlane.Controller;

/// <summary>The DP end of the sync stream: applies keys and projects pushed by the CP.</summary>
public static class DataPlaneControllerModule
{
    public const string AppId = AppIds.DataPlaneController;

    public static IHostApplicationBuilder AddDataPlaneController(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapDataPlaneController(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
