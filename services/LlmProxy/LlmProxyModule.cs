using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.LlmProxy;

/// <summary>OpenAI-compatible routing to LLM providers with per-workspace encrypted keys.</summary>
public static class LlmProxyModule
{
    public const string AppId = AppIds.LlmProxy;

    public static IHostApplicationBuilder AddLlmProxy(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapLlmProxy(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
