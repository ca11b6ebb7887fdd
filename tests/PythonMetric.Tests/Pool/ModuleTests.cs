using HoneyHive.PythonMetric.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HoneyHive.PythonMetric.Tests.Pool;

/// <summary>What AddPythonMetric sets up for a host: hidden folders and workers started with the host.</summary>
public sealed class ModuleTests
{
    [Fact]
    public void The_module_hides_the_hosts_data_folder_and_home_folder_from_workers()
    {
        var contentRoot = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "module-root")).FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot });
        builder.Configuration["ClickHouse:DataPath"] = ".data/clickhouse";
        builder.Configuration["PythonMetric:HiddenPaths:0"] = "/srv/secrets";
        builder.AddPythonMetric();
        using var host = builder.Build();

        var hidden = host.Services.GetRequiredService<IOptions<PythonMetricOptions>>().Value.HiddenPaths;
        Assert.Equal(["/srv/secrets", Path.Combine(contentRoot, ".data"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)], hidden);
    }

    [Fact]
    public async Task Starting_the_host_starts_the_pools_workers_before_any_run()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration["PythonMetric:PythonLibrary"] = TestServers.PythonLibrary;
        builder.Configuration["PythonMetric:RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        builder.Configuration["PythonMetric:Workers"] = "1";
        builder.Configuration["PythonMetric:Spares"] = "1";
        builder.Configuration["PythonMetric:Preload:0"] = "math";
        builder.AddPythonMetric();
        using var host = builder.Build();
        var pool = host.Services.GetRequiredService<PythonWorkerPool>();

        await host.StartAsync();
        await PoolTests.WaitUntilAsync(() => pool.Stats.Ready == 2);
        Assert.Equal(2, pool.Stats.Started);
        await host.StopAsync();
    }
}
