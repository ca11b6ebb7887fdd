using Dapr.Workflow;
using Grpc.AspNetCore.Server.Model;
using Grpc.Net.ClientFactory;
using HoneyHive.Platform;
using HoneyHive.Platform.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.WorkflowBackend;

/// <summary>
/// Workflows run by the Dapr Workflow SDK's own worker in both modes. Distributed (Hosting:Mode=Dapr): the SDK talks to
/// daprd at DAPR_GRPC_ENDPOINT. Single node (Local): this process embeds the backend, served on the Kestrel endpoint
/// <c>WorkflowGrpc</c>, and the SDK is pointed at it.
/// </summary>
public static class WorkflowEngineExtensions
{
    /// <summary>The data plane's database (DataPlaneApiModule.Database); its migration 0010 creates the tables.</summary>
    public const string Database = "dpdb";

    /// <summary>The Kestrel endpoint of the embedded backend in the single node.</summary>
    public const string Endpoint = "WorkflowGrpc";

    /// <summary>
    /// Registers the SDK's worker and client with <paramref name="register"/>'s workflows and activities; in Local mode,
    /// also the embedded backend (map it with <see cref="MapWorkflowBackend"/>). Several modules may call this: each
    /// call adds its registrations to the one worker.
    /// </summary>
    public static IHostApplicationBuilder AddWorkflowEngine(this IHostApplicationBuilder builder, Action<WorkflowRuntimeOptions> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        // The SDK applies registrations when its factory is first resolved, so later modules add to the same options.
        if (builder.Services.FirstOrDefault(d => d.ServiceType == typeof(WorkflowRuntimeOptions))?.ImplementationInstance is WorkflowRuntimeOptions existing)
        {
            register(existing);
            return builder;
        }

        var local = builder.Configuration.GetHostingMode() == HostingMode.Local;
        if (local) builder.AddWorkflowBackend();
        builder.Services.AddDaprWorkflow(register);
        if (local)
        {
            var address = LocalAddress(builder.Configuration);
            builder.Services.AddSingleton<IPostConfigureOptions<GrpcClientFactoryOptions>>(new SidecarAddress(address));
            DeferWorkerUntilStarted(builder.Services);
        }
        return builder;
    }

    /// <summary>The backend alone: store, dispatcher and gRPC service (what <see cref="AddWorkflowEngine"/> adds in Local mode).</summary>
    public static IHostApplicationBuilder AddWorkflowBackend(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(WorkflowStore))) return builder;
        builder.AddPostgres(Database);
        builder.Services.AddOptions<WorkflowBackendOptions>().Bind(builder.Configuration.GetSection(WorkflowBackendOptions.Section));
        builder.Services.AddSingleton(sp => new WorkflowStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(Database), sp.GetRequiredService<IOptions<WorkflowBackendOptions>>()));
        builder.Services.AddSingleton<WorkItemDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkItemDispatcher>());
        builder.Services.AddSingleton(sp => new SidecarService(sp.GetRequiredService<WorkflowStore>(), sp.GetRequiredService<WorkItemDispatcher>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<SidecarService>>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        // A turn's response lists every action with its input (a fan-out of many datapoints): more than gRPC's 4 MB default.
        builder.Services.AddGrpc().AddServiceOptions<SidecarService>(o =>
        {
            o.MaxReceiveMessageSize = 256 * 1024 * 1024;
            o.MaxSendMessageSize = null;
        });
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<SidecarService>, SidecarMethods>());
        return builder;
    }

    /// <summary>
    /// Serves the embedded backend when it is registered (Local mode); in Dapr mode daprd serves the protocol and this
    /// maps nothing. Restrict it to the WorkflowGrpc port with RequireHost.
    /// </summary>
    public static IEndpointConventionBuilder MapWorkflowBackend(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<WorkflowStore>() is null) return app.MapGroup("");
        return app.MapGrpcService<SidecarService>();
    }

    /// <summary>Where this process's own backend listens: the WorkflowGrpc endpoint, reached on loopback.</summary>
    private static Uri LocalAddress(IConfiguration configuration)
    {
        var url = configuration[$"Kestrel:Endpoints:{Endpoint}:Url"]
            ?? throw new InvalidOperationException($"Kestrel:Endpoints:{Endpoint}:Url is not configured: the embedded workflow backend needs an HTTP/2 endpoint.");
        var bound = new Uri(url.Replace("*", "127.0.0.1", StringComparison.Ordinal).Replace("+", "127.0.0.1", StringComparison.Ordinal));
        return new UriBuilder(bound.Scheme, bound.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : bound.Host, bound.Port).Uri;
    }

    /// <summary>
    /// The SDK's worker opens its stream as soon as it starts and, refused, retries only after 5 s. In one process the
    /// server starts after the hosted services, so the worker is started once the application has started.
    /// </summary>
    private static void DeferWorkerUntilStarted(IServiceCollection services)
    {
        var worker = services.LastOrDefault(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Dapr.Workflow.Worker.WorkflowWorker");
        if (worker?.ImplementationType is not { } type) return;
        services.Remove(worker);
        services.AddHostedService(sp => new StartedHostedService(sp, type));
    }

    /// <summary>Sets the address of the SDK's TaskHubSidecarService client explicitly (not through the environment).</summary>
    private sealed class SidecarAddress(Uri address) : IPostConfigureOptions<GrpcClientFactoryOptions>
    {
        public void PostConfigure(string? name, GrpcClientFactoryOptions options)
        {
            if (name?.EndsWith("TaskHubSidecarServiceClient", StringComparison.Ordinal) == true) options.Address = address;
        }
    }
}
