using System.Text.Json.Nodes;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HoneyHive.PythonMetric.Tests;

/// <summary>The pool's life cycle of workers: timeouts, crashes, recycling, cancellation (fairness: FairnessTests).</summary>
public sealed class PoolTests
{
    public const string Looping = "def metric(event):\n    while True:\n        pass\n";
    public const string Honest = "def metric(event):\n    return len(event['outputs']['content'])\n";

    /// <summary>The folder of the test-only plain-Python harness (Isolation/probe/hh_sandbox.py).</summary>
    public static string ProbeHarness => Path.Combine(AppContext.BaseDirectory, "Isolation", "probe");

    public static PythonWorkerPool NewPool(Action<PythonMetricOptions>? configure = null)
    {
        var options = new PythonMetricOptions
        {
            PythonLibrary = TestServers.PythonLibrary,
            RestrictedPythonPath = TestServers.RestrictedPythonPath,
            Workers = 2,
            Spares = 0,
            Preload = [],
        };
        configure?.Invoke(options);
        return new PythonWorkerPool(Options.Create(options), NullLogger<PythonWorkerPool>.Instance);
    }

    public static PythonMetricRunRequest Request(string source, JsonObject? @event = null, string project = "project-a", int timeoutMs = 5000, string name = "metric") =>
        new(project, "key-" + source.GetHashCode(), name, source, "float", null,
            @event ?? new JsonObject { ["outputs"] = new JsonObject { ["content"] = "hello" } }, timeoutMs);

    [Fact]
    public async Task A_run_that_passes_its_time_limit_is_a_timeout_and_the_next_run_gets_a_fresh_worker()
    {
        await using var pool = NewPool(o => o.Workers = 1);
        var looping = await pool.RunAsync(Request(Looping, timeoutMs: 1000), default);
        Assert.False(looping.Success);
        Assert.Equal(PythonMetricErrorCodes.Timeout, looping.ErrorCode);

        var honest = await pool.RunAsync(Request(Honest), default);
        Assert.True(honest.Success, honest.Message);
        Assert.Equal(5, (double)honest.Result!);
        Assert.Equal(2, pool.Stats.Started);
        Assert.Equal(1, pool.Stats.KilledForTimeout);
    }

    [Fact]
    public async Task A_warmed_pool_keeps_its_workers_and_spares_ready_before_the_first_run()
    {
        await using var pool = NewPool(o => (o.Workers, o.Spares) = (2, 1));
        await pool.WarmAsync(default);
        Assert.Equal(new PythonWorkerPoolStats(3, 0, 0, 0, 0, 0, 3), pool.Stats);

        var honest = await pool.RunAsync(Request(Honest), default);
        Assert.True(honest.Success, honest.Message);
        Assert.Equal(3, pool.Stats.Started);
    }

    [Fact]
    public async Task A_killed_worker_is_replaced_by_a_ready_spare_while_a_fresh_one_starts()
    {
        await using var pool = NewPool(o => (o.Workers, o.Spares, o.PythonPaths) = (1, 1, [ProbeHarness]));
        await pool.WarmAsync(default);
        // Ready workers are served in turn: these two runs learn both pids.
        var a = (int)(await RunOkAsync(pool, Pid)).Result!;
        var b = (int)(await RunOkAsync(pool, Pid)).Result!;
        Assert.NotEqual(a, b);

        var timedOut = await pool.RunAsync(Request(Looping, timeoutMs: 1000), default);  // on a, killed
        Assert.Equal(PythonMetricErrorCodes.Timeout, timedOut.ErrorCode);
        // The next run is served by the spare started before the kill, not by the fresh one starting now.
        Assert.Equal(b, (int)(await RunOkAsync(pool, Pid)).Result!);
        await pool.WarmAsync(default);
        Assert.Equal(3, pool.Stats.Started);
        Assert.Equal(2, pool.Stats.Ready);
    }

    [Fact]
    public async Task Workers_are_recycled_after_RunsPerWorker_runs()
    {
        await using var pool = NewPool(o => (o.Workers, o.RunsPerWorker, o.PythonPaths) = (1, 3, [ProbeHarness]));
        var pids = new List<int>();
        for (var i = 0; i < 7; i++) pids.Add((int)(await RunOkAsync(pool, Pid)).Result!);

        Assert.Equal(pids[0], pids[2]);
        Assert.NotEqual(pids[2], pids[3]);
        Assert.Equal(pids[3], pids[5]);
        Assert.NotEqual(pids[5], pids[6]);
        Assert.Equal(3, pids.Distinct().Count());
        Assert.Equal(2, pool.Stats.Recycled);
        Assert.Equal(0, pool.Stats.Crashed);
    }

    [Theory]
    [InlineData("import os\n    os.abort()", "SIGABRT")]
    [InlineData("import ctypes\n    ctypes.string_at(0)", "SIGSEGV")]
    [InlineData("import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL")]
    public async Task A_crashed_worker_is_a_resource_limit_error_and_the_next_run_works(string crash, string signal)
    {
        await using var pool = NewPool(o => (o.Workers, o.PythonPaths) = (1, [ProbeHarness]));
        var crashed = await pool.RunAsync(Request($"def metric(event):\n    {crash}\n"), default);
        Assert.Equal(PythonMetricErrorCodes.ResourceLimit, crashed.ErrorCode);
        Assert.Contains(signal, crashed.Message);

        await RunOkAsync(pool, Pid);
        Assert.Equal(1, pool.Stats.Crashed);
    }

    [Fact]
    public async Task A_worker_past_its_cpu_time_limit_is_a_resource_limit_error()
    {
        await using var pool = NewPool(o => (o.Workers, o.CpuSeconds, o.PythonPaths) = (1, 1, [ProbeHarness]));
        var result = await pool.RunAsync(Request(Looping, timeoutMs: 30_000), default);
        Assert.Equal(PythonMetricErrorCodes.ResourceLimit, result.ErrorCode);
        Assert.Contains("CPU time", result.Message);
        Assert.Equal(0, pool.Stats.KilledForTimeout);
        await RunOkAsync(pool, Pid);
    }

    [Fact]
    public async Task Cancelling_a_run_in_flight_kills_its_worker_and_frees_the_slot_for_the_next()
    {
        await using var pool = NewPool(o => o.Workers = 1);
        using var cancel = new CancellationTokenSource();
        var looping = pool.RunAsync(Request(Looping, project: "a", timeoutMs: 60_000), cancel.Token);
        var waiting = pool.RunAsync(Request(Honest, project: "b"), default);
        await WaitUntilAsync(() => pool.Stats.Ready == 0 && pool.Stats.Started == 1);
        Assert.False(waiting.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => looping);
        var honest = await waiting;
        Assert.True(honest.Success, honest.Message);
        Assert.Equal(1, pool.Stats.Cancelled);
        Assert.Equal(0, pool.Stats.KilledForTimeout);
    }

    private const string Pid = "def metric(event):\n    import os\n    return os.getpid()\n";

    private static async Task<PythonMetricRunResult> RunOkAsync(PythonWorkerPool pool, string source)
    {
        var result = await pool.RunAsync(Request(source), default);
        Assert.True(result.Success, result.Message);
        return result;
    }

    /// <summary>Polls a condition the test cannot await directly (no time limit: the test run's own ends a hang).</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition()) await Task.Delay(20);
    }
}
