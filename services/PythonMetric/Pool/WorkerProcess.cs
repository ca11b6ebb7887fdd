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
        input = process.StandardInput.BaseStream;
        output = process.StandardOutput.BaseStream;
        Hello = hello;
    }

    public WorkerHello Hello { get; }
    public int ProcessId { get; }
    public int Runs { get; private set; }
    public bool HasExited => process.HasExited;

    public static string WorkerAssembly => Path.Combine(AppContext.BaseDirectory, "HoneyHive.PythonMetric.Worker.dll");

    public static async Task<WorkerProcess> StartAsync(WorkerConfig config, TimeSpan startupTimeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WorkerAssembly);
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
    /// Sends one run and waits for its answer. Null when the worker died or passed <paramref name="timeout"/>;
    /// the worker is then killed and must not be used again.
    /// </summary>
    public async Task<string?> RunAsync(string requestJson, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Runs++;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await WorkerFrames.WriteAsync(input, requestJson, deadline.Token);
            var answer = await WorkerFrames.ReadAsync(output, deadline.Token);
            if (answer is null) Kill(process);
            return answer;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidDataException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
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
