using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy.Playground;

public static class PlaygroundExtensions
{
    /// <summary>The DP's configuration store (dpdb), which the single-node Host has already and the dp-llm-proxy app alone does not.</summary>
    public static IHostApplicationBuilder AddPlayground(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres(DataPlane.Api.DataPlaneApiModule.Database);
        builder.Services.TryAddSingleton<ConfigurationStore>();
        return builder;
    }
}
