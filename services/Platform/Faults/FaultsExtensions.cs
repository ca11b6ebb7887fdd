using HoneyHive.Platform.Analytics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Faults;

/// <summary>Body of the fault routes: how long the fault lasts (0 ends it now).</summary>
public sealed record FaultRequest(double Seconds, bool? Reads);

/// <summary>
/// Test-only fault switch for load and recovery harnesses (<c>./hh chaos</c>). Nothing here exists
/// unless configuration <c>Faults:Enabled</c> is true, which no shipped appsettings sets: the
/// analytics store is not wrapped and the routes are not mapped.
/// <list type="bullet">
/// <item><c>POST /internal/faults/analytics</c> <c>{"seconds": 10, "reads": true}</c>: analytics writes
/// (and reads unless <c>reads</c> is false) throw for that long.</item>
/// <item><c>POST /internal/faults/lost-acks</c> <c>{"seconds": 10}</c>: batches handled meanwhile are
/// written but their first ack is replaced by a nak, so JetStream redelivers batches already written
/// (<see cref="LostAckBatchHandler"/>).</item>
/// <item><c>Faults:CrashAfterBatch</c> (configuration, a subscription's name): SIGKILL after its handler returned,
/// before the ack (<see cref="CrashingBatchHandler"/>).</item>
/// <item><c>GET /internal/faults</c>: what is active, and how many acks were dropped.</item>
/// <item><c>GET /internal/faults/store-audit?run=ID</c>: rows as stored, for the harness's duplicate check (<see cref="StoreAuditRoutes"/>).</item>
/// </list>
/// </summary>
public static class FaultsExtensions
{
    public const string EnabledKey = "Faults:Enabled";

    public static bool FaultsEnabled(this IConfiguration configuration) => configuration.GetValue(EnabledKey, false);

    /// <summary>Wraps the registered analytics store with <see cref="FaultyAnalyticsStore"/> when faults are enabled.</summary>
    public static IHostApplicationBuilder AddTestFaults(this IHostApplicationBuilder builder)
    {
        if (!builder.Configuration.FaultsEnabled()) return builder;
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FaultSwitch>();
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IAnalyticsStore))
            ?? throw new InvalidOperationException("AddTestFaults must come after the analytics store is registered (AddServiceDefaults).");
        services.Remove(original);
        services.AddSingleton<IAnalyticsStore>(sp => new FaultyAnalyticsStore(Resolve(sp, original), sp.GetRequiredService<FaultSwitch>()));
        builder.AddFaultyBatchHandlers();
        return builder;
    }

    /// <summary>Maps the fault routes when faults are enabled; otherwise maps nothing (the routes answer 404).</summary>
    public static IEndpointConventionBuilder? MapTestFaults(this IEndpointRouteBuilder app)
    {
        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        if (!configuration.FaultsEnabled()) return null;
        app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FaultsExtensions))
            .LogWarning("Test faults are enabled ({Key}): /internal/faults/* can break this process on purpose", EnabledKey);
        var group = app.MapGroup("/internal/faults");
        group.MapGet("", (FaultSwitch faults) => Results.Ok(new
        {
            analytics_down = faults.AnalyticsDown,
            analytics_reads_down = faults.AnalyticsReadsDown,
            lose_acks = faults.LoseAcks,
            lost_acks = faults.LostAcks,
        }));
        group.MapPost("/analytics", (FaultRequest request, FaultSwitch faults, ILoggerFactory logs) =>
        {
            if (!IsValid(request)) return Invalid();
            faults.FailAnalytics(TimeSpan.FromSeconds(request.Seconds), request.Reads ?? true);
            logs.CreateLogger(typeof(FaultsExtensions)).LogWarning("Test fault: analytics store down for {Seconds} s", request.Seconds);
            return Results.NoContent();
        });
        group.MapPost("/lost-acks", (FaultRequest request, FaultSwitch faults, ILoggerFactory logs) =>
        {
            if (!IsValid(request)) return Invalid();
            faults.LoseAcksFor(TimeSpan.FromSeconds(request.Seconds));
            logs.CreateLogger(typeof(FaultsExtensions)).LogWarning("Test fault: first acks dropped for {Seconds} s", request.Seconds);
            return Results.NoContent();
        });
        group.MapStoreAudit();
        return group;
    }

    private static bool IsValid(FaultRequest request) => request.Seconds is >= 0 and <= 3600;

    private static IResult Invalid() => Results.ValidationProblem(
        new Dictionary<string, string[]> { ["seconds"] = ["seconds is between 0 and 3600."] });

    private static IAnalyticsStore Resolve(IServiceProvider sp, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: IAnalyticsStore instance } => instance,
        { ImplementationFactory: { } factory } => (IAnalyticsStore)factory(sp),
        { ImplementationType: { } type } => (IAnalyticsStore)ActivatorUtilities.CreateInstance(sp, type),
        _ => throw new InvalidOperationException("Unsupported analytics store registration."),
    };
}
