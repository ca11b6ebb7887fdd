using HoneyHive.Contracts;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.PythonMetric;

/// <summary>User Python metric code under RestrictedPython in isolated worker processes.</summary>
public static class PythonMetricModule
{
    public const string AppId = AppIds.PythonMetric;

    public static IHostApplicationBuilder AddPythonMetric(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PythonMetricOptions>().Bind(builder.Configuration.GetSection(PythonMetricOptions.Section));
        builder.Services.TryAddSingleton<PythonWorkerPool>();
        builder.Services.TryAddSingleton<IPythonMetricRunner>(sp => sp.GetRequiredService<PythonWorkerPool>());
        return builder;
    }

    public static RouteGroupBuilder MapPythonMetric(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
