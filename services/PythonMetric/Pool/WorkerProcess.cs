using System.Diagnostics;
using System.Text.Json;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Worker;

namespace HoneyHive.PythonMetric.Pool;

/// <summary>
/// One running worker: started, configured, asked one run at a time, killed. Not thread-safe: the pool
/// lends it to one caller at a time.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Stream input;
    private readonly Stream output;

    private WorkerProcess(Process process, WorkerHello hello)
    {
        this.process = process;
        ProcessId = process.Id;
        CpuTimeAtStart = CpuTime;
        input = process.StandardInput.BaseStream;
        output = process.StandardOutput.BaseStream;
        Hello = hello;
    }

    public WorkerHello Hello { get; }
    public int ProcessId { get; }
    public int Runs { get; private set; }

    /// <summary>CPU time start-up used: the worker's RLIMIT_CPU counts from there.</summary>
    public TimeSpan CpuTimeAtStart { get; }
    public bool HasExited => process.HasExited;

    public static string WorkerAssembly => Path.Combine(AppContext.BaseDirectory, "HoneyHive.PythonMetric.Worker.dll");

    public static async Task<WorkerProcess> StartAsync(WorkerConfig config, TimeSpan startupTimeout, CancellationToken cancellationToken)
    {
        var start = WorkerLauncher.StartInfo(WorkerAssembly);
        // Single-threaded numeric libraries: a worker uses one core, as the pool counts it.
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONNOUSERSITE"] = "1";
        start.Environment.Remove("PYTHONHOME");
        start.Environment.Remove("PYTHONPATH");
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        start.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException("The Python worker process did not start.");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(startupTimeout);
            await WorkerFrames.WriteAsync(process.StandardInput.BaseStream, JsonSerializer.Serialize(config, WorkerJson.Default.WorkerConfig), timeout.Token);
            var helloJson = await WorkerFrames.ReadAsync(process.StandardOutput.BaseStream, timeout.Token)
                ?? throw new InvalidOperationException($"The Python worker exited during start-up (exit code {ExitCodeOf(process)}).");
            var hello = JsonSerializer.Deserialize(helloJson, WorkerJson.Default.WorkerHello)
                ?? throw new InvalidDataException("The Python worker's hello is empty.");
            if (!hello.Ready) throw new InvalidOperationException($"The Python worker could not start: {hello.Error}");
            return new WorkerProcess(process, hello);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one run and waits for its answer. When the worker passes <paramref name="timeout"/> or dies, it is
    /// killed (SIGKILL: it may be in uninterruptible C code or swallowing exceptions) and must not be used
    /// again; when <paramref name="cancellationToken"/> is cancelled it is killed too and the call throws.
    /// </summary>
    public async Task<WorkerAnswer> RunAsync(string requestJson, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Runs++;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await WorkerFrames.WriteAsync(input, requestJson, deadline.Token);
            var answer = await WorkerFrames.ReadAsync(output, deadline.Token);
            if (answer is null) Kill(process);
            return new WorkerAnswer(answer, TimedOut: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            return new WorkerAnswer(null, TimedOut: true);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            Kill(process);
            return new WorkerAnswer(null, TimedOut: false);
        }
    }

    /// <summary>Why a worker that did not answer ended, in the user's terms.</summary>
    public async Task<string> DescribeExitAsync()
    {
        var code = await WaitForExitCodeAsync();
        // .NET reports a child ended by signal N as exit code 128 + N.
        return code switch
        {
            null => "did not exit",
            128 + 24 => "exceeded its CPU time limit (SIGXCPU)",
            128 + 9 => "was killed (SIGKILL), most likely at a hard resource limit",
            128 + 11 => "crashed (SIGSEGV)",
            128 + 6 => "aborted (SIGABRT)",
            128 + 31 => "made a forbidden system call (SIGSYS)",
            > 128 and < 160 => $"ended by signal {code - 128}",
            _ => $"exited with code {code}",
        };
    }

    public async Task<int?> WaitForExitCodeAsync()
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            return process.ExitCode;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public void Kill() => Kill(process);

    /// <summary>User plus system CPU time the worker has used (from /proc; the pool runs as its parent).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try
            {
                // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the ")" that ends the name.
                var stat = File.ReadAllText($"/proc/{ProcessId}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
                return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    // sysconf(_SC_CLK_TCK) is 100 on every Linux the pool runs on.
    private const int ClockTicksPerSecond = 100;

    public async ValueTask DisposeAsync()
    {
        try { input.Close(); } catch (IOException) { }
        Kill(process);
        await WaitForExitCodeAsync();
        process.Dispose();
    }

    private static void Kill(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    private static string ExitCodeOf(Process process)
    {
        try { return process.WaitForExit(2000) ? process.ExitCode.ToString() : "still running"; }
        catch (InvalidOperationException) { return "unknown"; }
    }
}

/// <summary>A worker's answer to one run: the result JSON, or null when it timed out (<paramref name="TimedOut"/>) or died.</summary>
public readonly record struct WorkerAnswer(string? Json, bool TimedOut);
