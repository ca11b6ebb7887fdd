using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.DataPlane.Api;

/// <summary>Queries, datasets, datapoints, metrics, runs, provider secrets.</summary>
public static class DataPlaneApiModule
{
    public const string AppId = AppIds.DataPlaneApi;

    public static IHostApplicationBuilder AddDataPlaneApi(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapDataPlaneApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
