using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.PythonMetric;

/// <summary>User Python metric code under RestrictedPython in isolated worker processes.</summary>
public static class PythonMetricModule
{
    public const string AppId = AppIds.PythonMetric;

    public static IHostApplicationBuilder AddPythonMetric(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapPythonMetric(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
