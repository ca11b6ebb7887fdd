using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.PythonMetric.Pool;

/// <summary>
/// Runs PYTHON metric code in worker processes: at most <see cref="PythonMetricOptions.Workers"/> at once,
/// each run on a worker of its own; a worker that passes a run's time limit or dies is killed and not
/// reused, so the next run gets a fresh one.
/// </summary>
public sealed class PythonWorkerPool : IPythonMetricRunner, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly PythonMetricOptions options;
    private readonly ILogger<PythonWorkerPool> logger;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentBag<WorkerProcess> idle = [];
    private int started;

    public PythonWorkerPool(IOptions<PythonMetricOptions> options, ILogger<PythonWorkerPool> logger)
    {
        this.options = options.Value;
        this.logger = logger;
        slots = new SemaphoreSlim(Math.Max(1, this.options.Workers));
    }

    /// <summary>Workers started since the pool began (replacements included).</summary>
    public int WorkersStarted => Volatile.Read(ref started);

    public async Task<PythonMetricRunResult> RunAsync(PythonMetricRunRequest request, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(request.TimeoutMs <= 0
            ? options.DefaultTimeoutMs
            : Math.Min(request.TimeoutMs, options.MaxTimeoutMs));
        var requestJson = JsonSerializer.Serialize(request, Json);
        await slots.WaitAsync(cancellationToken);
        try
        {
            var worker = idle.TryTake(out var ready) && !ready.HasExited ? ready : await StartWorkerAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            var answer = await worker.RunAsync(requestJson, timeout, cancellationToken);
            if (answer is null)
            {
                var timedOut = clock.Elapsed >= timeout;
                var exitCode = await worker.WaitForExitCodeAsync();
                await worker.DisposeAsync();
                logger.LogWarning("Python worker {Pid} of project {ProjectId} ended: {Cause}", worker.ProcessId, request.ProjectId,
                    timedOut ? "time limit" : $"exit code {exitCode}");
                return timedOut
                    ? PythonMetricRunResult.Failed(PythonMetricErrorCodes.Timeout, $"The metric ran longer than its time limit of {timeout.TotalSeconds:0.###} s and was stopped.")
                    : PythonMetricRunResult.Failed(PythonMetricErrorCodes.ResourceLimit, $"The metric's worker process ended (exit code {exitCode?.ToString() ?? "unknown"}): the code exceeded a resource limit or crashed the interpreter.");
            }

            idle.Add(worker);
            return JsonSerializer.Deserialize<PythonMetricRunResult>(answer, Json)
                ?? throw new InvalidDataException("A Python worker answered an empty result.");
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<WorkerProcess> StartWorkerAsync(CancellationToken cancellationToken)
    {
        var config = new WorkerConfig(
            options.PythonLibrary,
            [options.RestrictedPythonPath, Path.Combine(AppContext.BaseDirectory, "python")],
            [.. options.Preload],
            new WorkerLimits(options.MemoryMb, options.CpuSeconds, options.OpenFiles, options.TempMb, options.OutputBytes,
                options.WorkerUid, [.. options.HiddenPaths]));
        var worker = await WorkerProcess.StartAsync(config, TimeSpan.FromMilliseconds(options.StartupTimeoutMs), cancellationToken);
        Interlocked.Increment(ref started);
        logger.LogInformation("Python worker {Pid} ready in {StartupMs} ms (Python {Version}, isolation {@Isolation})",
            worker.ProcessId, worker.Hello.StartupMs, worker.Hello.PythonVersion, worker.Hello.Isolation);
        return worker;
    }

    public async ValueTask DisposeAsync()
    {
        while (idle.TryTake(out var worker)) await worker.DisposeAsync();
        slots.Dispose();
    }
}
