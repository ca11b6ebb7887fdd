using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Ingestion;

/// <summary>OTLP gRPC + HTTP and the HoneyHive event API: validate, normalize, publish, ack.</summary>
public static class IngestionModule
{
    public const string AppId = AppIds.Ingestion;

    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapIngestion(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
