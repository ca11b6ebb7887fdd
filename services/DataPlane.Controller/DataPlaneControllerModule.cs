using HoneyHive.Contracts;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Controller;

/// <summary>The DP end of the sync stream: applies projects and key hashes pushed by the CP to dpdb.</summary>
public static class DataPlaneControllerModule
{
    public const string AppId = AppIds.DataPlaneController;

    public static IHostApplicationBuilder AddDataPlaneController(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres("dpdb");
        builder.Services.Configure<ControlPlaneLinkOptions>(builder.Configuration.GetSection("Controller"));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ControlPlaneLinkOptions>>().Value;
            return new DataPlaneIdentity(options.DataPlaneId, options.IdentityPath);
        });
        builder.Services.AddSingleton<SyncApplier>();
        builder.Services.AddSingleton<KeyUsageReporter>();
        builder.Services.AddSingleton<AlertReporter>();
        builder.Services.AddSingleton<DataPlaneHealthCollector>();
        builder.Services.AddSingleton<ControlPlaneLink>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ControlPlaneLink>());
        builder.Services.AddHealthChecks().AddCheck<ControlPlaneLinkHealthCheck>("controlplane-link");
        return builder;
    }

    public static RouteGroupBuilder MapDataPlaneController(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
