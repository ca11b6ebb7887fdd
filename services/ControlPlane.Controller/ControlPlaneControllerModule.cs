using HoneyHive.Contracts;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;

namespace HoneyHive.ControlPlane.Controller;

/// <summary>DP lifecycle, identity bootstrap, the CP end of the sync stream.</summary>
public static class ControlPlaneControllerModule
{
    public const string AppId = AppIds.ControlPlaneController;

    public static IHostApplicationBuilder AddControlPlaneController(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres("cpdb");
        builder.Services.AddGrpc();
        builder.Services.Configure<SyncOptions>(builder.Configuration.GetSection("Controller:Sync"));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ControlPlaneIdentityKey>();
        builder.Services.AddSingleton<DataPlaneRegistry>();
        builder.Services.AddSingleton<SyncStreamStats>();
        builder.Services.AddSingleton<SyncChangeSignal>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SyncChangeSignal>());
        builder.Services.AddHostedService<SyncChangePruner>();
        builder.Services.AddSingleton<ControlPlaneSyncSource>();
        builder.Services.AddSingleton<KeyUsageSink>();
        builder.Services.AddSingleton<AlertReportSink>();
        return builder;
    }

    public static RouteGroupBuilder MapControlPlaneController(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        group.MapGrpcService<ControllerSyncService>();
        return group;
    }
}
