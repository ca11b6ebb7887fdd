using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.PythonMetric.Pool;

/// <summary>
/// Runs PYTHON metric code in isolated worker processes. <see cref="PythonMetricOptions.Workers"/> runs at
/// once, shared fairly between projects (<see cref="FairSlots"/>); <see cref="PythonMetricOptions.Spares"/>
/// more workers are kept started, so a worker killed for a timeout or a crash, or recycled, is replaced by a
/// ready one at once while a fresh one starts in the background. A worker serves one run at a time and is
/// never reused after a run it did not answer.
/// </summary>
public sealed class PythonWorkerPool : IPythonMetricRunner, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly PythonMetricOptions options;
    private readonly ILogger<PythonWorkerPool> logger;
    private readonly FairSlots slots;
    private readonly Channel<WorkerProcess> ready = Channel.CreateUnbounded<WorkerProcess>();
    private readonly ConcurrentDictionary<WorkerProcess, byte> live = new();
    private readonly Lock gate = new();
    private readonly CancellationTokenSource disposing = new();
    private TaskCompletionSource changed = NewSignal();
    private int starting, startFailures, started, runs, killedForTimeout, crashed, recycled, cancelled, surplus;

    public PythonWorkerPool(IOptions<PythonMetricOptions> options, ILogger<PythonWorkerPool> logger)
    {
        this.options = options.Value;
        this.logger = logger;
        slots = new FairSlots(Math.Max(1, this.options.Workers), this.options.ProjectLimit, Math.Max(0, this.options.MaxQueuedPerProject));
    }


    public PythonWorkerPoolStats Stats => new(Volatile.Read(ref started), Volatile.Read(ref runs), Volatile.Read(ref killedForTimeout), Volatile.Read(ref crashed),
        Volatile.Read(ref recycled), Volatile.Read(ref cancelled), ready.Reader.Count);

    private int Target => Math.Max(1, options.Workers) + Math.Max(0, options.Spares);

    private static int MaxConcurrentStarts => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Starts workers in the background until <see cref="PythonMetricOptions.Workers"/> plus spares are running.</summary>
    public void Warm() => Replenish();

    /// <summary>Warms the pool and waits until every worker it keeps is ready (tests and the bench start from a warm pool).</summary>
    public async Task WarmAsync(CancellationToken cancellationToken)
    {
        var failuresBefore = Volatile.Read(ref startFailures);
        while (true)
        {
            if (Volatile.Read(ref startFailures) != failuresBefore)
                throw new InvalidOperationException("A Python worker could not be started; see the pool's log.");
            Task signal;
            lock (gate) signal = changed.Task;
            Replenish();
            if (ready.Reader.Count >= Target) return;
            await signal.WaitAsync(cancellationToken);
        }
    }

    public async Task<PythonMetricRunResult> RunAsync(PythonMetricRunRequest request, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(request.TimeoutMs <= 0
            ? options.DefaultTimeoutMs
            : Math.Min(request.TimeoutMs, options.MaxTimeoutMs));
        var requestJson = JsonSerializer.Serialize(request, Json);
        using var lease = await slots.EnterAsync(request.ProjectId, cancellationToken);
        var worker = await AcquireAsync(cancellationToken);
        WorkerAnswer answer;
        try
        {
            Interlocked.Increment(ref runs);
            answer = await worker.RunAsync(requestJson, timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Retire(worker, ref cancelled);
            throw;
        }

        if (answer.Json is null)
        {
            if (answer.TimedOut)
            {
                Retire(worker, ref killedForTimeout);
                logger.LogWarning("Python worker {Pid} of project {ProjectId} killed at the time limit of {TimeoutMs} ms", worker.ProcessId, request.ProjectId, timeout.TotalMilliseconds);
                return PythonMetricRunResult.Failed(PythonMetricErrorCodes.Timeout, $"The metric ran longer than its time limit of {timeout.TotalSeconds:0.###} s and was stopped.");
            }

            var exit = await worker.DescribeExitAsync();
            Retire(worker, ref crashed);
            logger.LogWarning("Python worker {Pid} of project {ProjectId} ended during a run: {Exit}", worker.ProcessId, request.ProjectId, exit);
            return PythonMetricRunResult.Failed(PythonMetricErrorCodes.ResourceLimit, $"The metric's worker process {exit}: the code exceeded a resource limit or crashed the interpreter.");
        }

        PythonMetricRunResult? result;
        try
        {
            result = JsonSerializer.Deserialize<PythonMetricRunResult>(answer.Json, Json);
        }
        catch (JsonException)
        {
            result = null;
        }

        if (result is null)
        {
            Retire(worker, ref crashed);
            return PythonMetricRunResult.Failed(PythonMetricErrorCodes.ResourceLimit, "The metric's worker process answered something that is not a result and was replaced.");
        }

        GiveBack(worker);
        return result;
    }

    /// <summary>A ready worker; when none is, the one starting in the background, or one started here.</summary>
    private async Task<WorkerProcess> AcquireAsync(CancellationToken cancellationToken)
    {
        var failuresBefore = Volatile.Read(ref startFailures);
        while (true)
        {
            ObjectDisposedException.ThrowIf(disposing.IsCancellationRequested, this);
            if (ready.Reader.TryRead(out var worker))
            {
                if (!worker.HasExited) return worker;
                Retire(worker, ref crashed);
                continue;
            }

            Task signal;
            lock (gate) signal = changed.Task;
            Replenish();
            // Nothing on its way, or a background start failed meanwhile: start one here, so a persistent
            // failure (no libpython, bad settings) reaches the caller as an exception instead of a hang.
            if (Volatile.Read(ref starting) == 0 || Volatile.Read(ref startFailures) != failuresBefore)
            {
                var own = await StartWorkerAsync(cancellationToken);
                live.TryAdd(own, 0);
                return own;
            }

            await signal.WaitAsync(cancellationToken);
        }
    }

    private void GiveBack(WorkerProcess worker)
    {
        if (worker.Runs >= Math.Max(1, options.RunsPerWorker)
            || (worker.CpuTime - worker.CpuTimeAtStart).TotalSeconds >= options.CpuSeconds * 0.8)
        {
            Retire(worker, ref recycled);
            return;
        }

        if (live.Count > Target)
        {
            // One started for a run while a background start was also under way: more than the pool keeps.
            Retire(worker, ref surplus);
            return;
        }

        ready.Writer.TryWrite(worker);
        Signal();
    }

    private void Retire(WorkerProcess worker, ref int counter)
    {
        Interlocked.Increment(ref counter);
        live.TryRemove(worker, out _);
        _ = DisposeQuietlyAsync(worker);
        Replenish();
    }

    private async Task DisposeQuietlyAsync(WorkerProcess worker)
    {
        try { await worker.DisposeAsync(); }
        catch (Exception e) { logger.LogWarning(e, "Python worker {Pid} did not stop cleanly", worker.ProcessId); }
    }

    // Starts workers in the background until live and starting ones reach the target.
    private void Replenish()
    {
        lock (gate)
        {
            // One start at a time per two cores: a start is a second of CPU (runtime, CPython, numpy and pandas),
            // and three at once on two cores made the first worker ready later than one after another.
            while (!disposing.IsCancellationRequested && live.Count + starting < Target && starting < MaxConcurrentStarts)
            {
                starting++;
                _ = Task.Run(StartInBackgroundAsync);
            }
        }
    }

    private async Task StartInBackgroundAsync()
    {
        var workerReady = false;
        try
        {
            var worker = await StartWorkerAsync(disposing.Token);
            live.TryAdd(worker, 0);
            ready.Writer.TryWrite(worker);
            workerReady = true;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref startFailures);
            if (!disposing.IsCancellationRequested) logger.LogError(e, "A Python worker could not be started");
        }
        finally
        {
            lock (gate) starting--;
            Signal();
        }

        // The next start of a warm-up (starts go one at a time); after a failure, only the next caller retries, so
        // a persistent failure does not spin.
        if (workerReady) Replenish();

        if (disposing.IsCancellationRequested) await DrainAsync();
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (gate)
        {
            previous = changed;
            changed = NewSignal();
        }

        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<WorkerProcess> StartWorkerAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> paths = options.PythonPaths.Count > 0
            ? [.. options.PythonPaths]
            : [options.RestrictedPythonPath, Path.Combine(AppContext.BaseDirectory, "python")];
        var config = new WorkerConfig(
            options.PythonLibrary,
            paths,
            [.. options.Preload],
            new WorkerLimits(options.MemoryMb, options.CpuSeconds, options.OpenFiles, options.TempMb, options.OutputBytes,
                options.WorkerUid, [.. options.HiddenPaths]));
        var worker = await WorkerProcess.StartAsync(config, TimeSpan.FromMilliseconds(options.StartupTimeoutMs), cancellationToken);
        Interlocked.Increment(ref started);
        logger.LogInformation("Python worker {Pid} ready in {StartupMs} ms (Python {Version}, isolation {@Isolation})",
            worker.ProcessId, worker.Hello.StartupMs, worker.Hello.PythonVersion, worker.Hello.Isolation);
        if (worker.Hello.Isolation is not { NetworkNamespace: true, MountNamespace: true, ReadOnlyRoot: true, PrivateTmp: true, UnprivilegedUser: true, Seccomp: true, Rlimits: true })
            logger.LogWarning("Python worker {Pid} runs with less isolation than intended (the kernel or the pool's user does not allow the rest): {@Isolation}",
                worker.ProcessId, worker.Hello.Isolation);
        return worker;
    }

    private async Task DrainAsync()
    {
        while (ready.Reader.TryRead(out var worker))
        {
            live.TryRemove(worker, out _);
            await DisposeQuietlyAsync(worker);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await disposing.CancelAsync();
        await DrainAsync();
        // Workers lent out to runs still in flight: killed, so a disposed pool leaves no process behind.
        foreach (var worker in live.Keys) await DisposeQuietlyAsync(worker);
        live.Clear();
    }
}
