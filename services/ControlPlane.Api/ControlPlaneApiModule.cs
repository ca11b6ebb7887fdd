using HoneyHive.Contracts;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.Platform.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.ControlPlane.Api;

/// <summary>Auth, RBAC, tenancy, keys, prompts, alert and evaluator configs, JWKS.</summary>
public static class ControlPlaneApiModule
{
    public const string AppId = AppIds.ControlPlaneApi;

    /// <summary>The control plane's own database; the data plane never opens it.</summary>
    public const string Database = "cpdb";

    public static IHostApplicationBuilder AddControlPlaneApi(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres(Database);
        builder.Services.AddSingleton<Bootstrapper>();
        builder.Services.AddSingleton<GrantResolver>();
        builder.Services.AddSingleton<TenancyTree>();
        builder.Services.AddSingleton<ControlPlaneAccess>();
        builder.Services.AddHostedService<ControlPlaneDatabaseInitializer>();
        builder.AddApiDocument(ApiDocuments.ControlPlane);
        return builder;
    }

    public static RouteGroupBuilder MapControlPlaneApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithGroupName(ApiDocuments.ControlPlane);
        group.MapApiDocument(ApiDocuments.ControlPlane);
        return group;
    }
}
