using HoneyHive.Contracts;
using HoneyHive.Ingestion.Auth;
using HoneyHive.Ingestion.Backpressure;
using HoneyHive.Ingestion.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Otlp;
using HoneyHive.Ingestion.Publishing;
using HoneyHive.Ingestion.Quotas;
using HoneyHive.ServiceDefaults.Quotas;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.State;

namespace HoneyHive.Ingestion;

/// <summary>OTLP gRPC + HTTP and the HoneyHive event API: validate, normalize, publish, ack.</summary>
public static class IngestionModule
{
    public const string AppId = AppIds.Ingestion;

    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        // Publishes to the message log; session starts are merged in the state store.
        builder.AddMessaging();
        builder.AddStateStore();
        var limits = builder.Configuration.GetSection("Ingestion:Limits").Get<IngestLimits>() ?? new IngestLimits();
        builder.Services.AddSingleton(limits);
        builder.AddDataPlaneAuthentication();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IngestAuthenticator>();
        builder.Services.AddSingleton<EventBatchPublisher>();
        builder.Services.AddSingleton<OtlpTraceService>();
        builder.Services.AddSingleton<OtlpLogsService>();
        builder.AddIngestionBackpressure();
        // Per-project rate and daily volume, shared by every replica through Redis (section Quotas).
        builder.AddQuotas();
        builder.Services.AddSingleton<IngestionQuota>();
        builder.AddEventApi();
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = (int)Math.Min(limits.MaxBodyBytes, int.MaxValue);
            options.EnableDetailedErrors = false;
        });
        return builder;
    }

    public static RouteGroupBuilder MapIngestion(this IEndpointRouteBuilder app)
    {
        // Every route below declares its permission; one that does not is refused to every caller (fail closed).
        var group = app.MapGroup("").RequireDeclaredPermissions();
        group.MapGrpcService<OtlpGrpcService>().PermissionCheckedByHandler(Permissions.EventsIngest);
        group.MapGrpcService<OtlpGrpcLogsService>().PermissionCheckedByHandler(Permissions.EventsIngest);
        group.MapOtlpHttp();
        group.MapEventApi();
        return group;
    }
}
