using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.ControlPlane.Api;

/// <summary>Auth, RBAC, tenancy, keys, prompts, alert and evaluator configs, JWKS.</summary>
public static class ControlPlaneApiModule
{
    public const string AppId = AppIds.ControlPlaneApi;

    public static IHostApplicationBuilder AddControlPlaneApi(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapControlPlaneApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
