using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Writer;

/// <summary>Consumes events.>, enriches, batches into ClickHouse, dead-letters what cannot be written.</summary>
public static class WriterModule
{
    public const string AppId = AppIds.Writer;

    public static IHostApplicationBuilder AddWriter(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapWriter(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
