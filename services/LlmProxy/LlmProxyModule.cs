using HoneyHive.Contracts;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.LlmProxy.Apis;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.Internal;
using HoneyHive.LlmProxy.Limits;
using HoneyHive.LlmProxy.Playground;
using HoneyHive.LlmProxy.Providers;
using HoneyHive.LlmProxy.Providers.Bedrock;
using HoneyHive.LlmProxy.Providers.OpenAiCompatible;
using HoneyHive.LlmProxy.Routing;
using HoneyHive.LlmProxy.Tracing;
using HoneyHive.Platform;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy;

/// <summary>
/// OpenAI-compatible routes (<c>/v1/chat/completions</c>, <c>/v1/embeddings</c>, <c>/v1/models</c>) in front of every
/// provider, with the workspace's encrypted keys. Single node: a module of the Host, on the DP API's port.
/// Distributed: the <c>dp-llm-proxy</c> app, which the ingress routes those paths to.
/// </summary>
public static class LlmProxyModule
{
    public const string AppId = AppIds.LlmProxy;

    public static IHostApplicationBuilder AddLlmProxy(this IHostApplicationBuilder builder)
    {
        builder.AddDataPlaneAuthentication();
        builder.AddProviderSecrets();
        builder.Services.AddOptions<LlmProxyOptions>().Bind(builder.Configuration.GetSection(LlmProxyOptions.Section));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient(ModelCaller.UpstreamClient, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Providers' addresses change (DNS); pooled connections are renewed so a call follows them.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                // A provider's redirect is never followed with the workspace's key on it.
                AllowAutoRedirect = false,
                EnableMultipleHttp2Connections = true,
            })
            .AddOutboundGuard();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProvider, OpenAiCompatibleProvider>());
        builder.Services.AddTranslatingProviders();
        builder.Services.AddBedrockProvider();
        builder.Services.TryAddSingleton<ProviderRegistry>();
        builder.Services.TryAddSingleton<ModelAliasStore>();
        builder.Services.TryAddSingleton<IModelAliases>(sp => sp.GetRequiredService<ModelAliasStore>());
        builder.Services.TryAddSingleton(sp => new ModelRouter(sp.GetService<IModelAliases>()));
        builder.Services.TryAddSingleton<ModelCaller>();
        builder.AddProjectCallLimits().AddModelCallTracing().AddPlayground();
        builder.Services.TryAddSingleton(sp => new ModelCallHandler(
            sp.GetRequiredService<ModelCaller>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ModelCallHandler>>(),
            sp.GetService<IProjectCallLimiter>(), sp.GetService<IModelCallTracer>()));
        builder.AddModelCompletions();
        return builder;
    }

    public static RouteGroupBuilder MapLlmProxy(this IEndpointRouteBuilder app)
    {
        // Every route declares its permission; one that does not is refused to every caller (fail closed).
        var group = app.MapGroup("").RequireDeclaredPermissions();
        group.MapChatCompletionsApi();
        group.MapEmbeddingsApi();
        group.MapModelsApi();
        group.MapPlaygroundApi();
        group.MapModelAliasesApi();
        // Dapr mode (the dp-llm-proxy app): platform completions by service invocation, outside the permission group
        // (daprd's app token authenticates them). Local mode maps nothing: the Host calls the proxy in process.
        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        if (configuration.GetHostingMode() == HostingMode.Dapr) app.MapModelCompletionsInvocation(configuration);
        return group;
    }
}
