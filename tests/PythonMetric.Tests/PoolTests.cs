using System.Text.Json.Nodes;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HoneyHive.PythonMetric.Tests;

public sealed class PoolTests
{
    public static PythonWorkerPool NewPool(Action<PythonMetricOptions>? configure = null)
    {
        var options = new PythonMetricOptions
        {
            PythonLibrary = TestServers.PythonLibrary,
            RestrictedPythonPath = TestServers.RestrictedPythonPath,
            Workers = 2,
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
        var looping = await pool.RunAsync(Request("def metric(event):\n    while True:\n        pass\n", timeoutMs: 1000), default);
        Assert.False(looping.Success);
        Assert.Equal(PythonMetricErrorCodes.Timeout, looping.ErrorCode);

        var honest = await pool.RunAsync(Request("def metric(event):\n    return len(event['outputs']['content'])\n"), default);
        Assert.True(honest.Success, honest.Message);
        Assert.Equal(5, (double)honest.Result!);
        Assert.Equal(2, pool.WorkersStarted);
    }
}
