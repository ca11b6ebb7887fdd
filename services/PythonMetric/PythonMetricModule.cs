using HoneyHive.Contracts;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.Platform;
using HoneyHive.PythonMetric.Pool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
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
        var contentRoot = builder.Environment.ContentRootPath;
        var dataPath = builder.Configuration["ClickHouse:DataPath"];
        builder.Services.AddOptions<PythonMetricOptions>()
            .Bind(builder.Configuration.GetSection(PythonMetricOptions.Section))
            .PostConfigure(options => HideHostFolders(options, contentRoot, dataPath));
        builder.Services.TryAddSingleton<PythonWorkerPool>();
        builder.Services.TryAddSingleton<IPythonMetricRunner>(sp => sp.GetRequiredService<PythonWorkerPool>());
        builder.Services.AddHostedService<PythonWorkerPoolWarmer>();
        return builder;
    }

    // User code must not read the platform's data (databases, object store, keys) nor the home folder of the
    // user running it: both are covered by an empty folder in every worker's mount namespace.
    private static void HideHostFolders(PythonMetricOptions options, string contentRoot, string? clickHouseDataPath)
    {
        var dataFolder = clickHouseDataPath is { Length: > 0 }
            ? Path.GetDirectoryName(Path.GetFullPath(clickHouseDataPath, contentRoot))
            : Path.Combine(contentRoot, ".data");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var folder in new[] { dataFolder, home })
        {
            if (folder is { Length: > 1 } && !options.HiddenPaths.Contains(folder)) options.HiddenPaths.Add(folder);
        }
    }

    /// <summary>
    /// Dapr mode (the <c>dp-python-metric</c> app): the invocation endpoint daprd calls. Local mode maps nothing: the
    /// single-node Host calls the pool in process, and its DP port must not offer a route that runs code unauthenticated.
    /// </summary>
    public static RouteGroupBuilder MapPythonMetric(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        if (configuration.GetHostingMode() == HostingMode.Dapr) group.MapPythonMetricInvocation(configuration);
        return group;
    }
}
