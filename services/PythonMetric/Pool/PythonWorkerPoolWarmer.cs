using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HoneyHive.PythonMetric.Pool;

/// <summary>
/// Starts the pool's workers when the host starts, in the background (a worker takes about a second to load
/// CPython, numpy and pandas), so the first run does not pay the cold start.
/// </summary>
public sealed class PythonWorkerPoolWarmer(PythonWorkerPool pool, IOptions<PythonMetricOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.WarmOnStart) pool.Warm();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
