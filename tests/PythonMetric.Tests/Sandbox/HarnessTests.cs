using System.Text;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;

namespace HoneyHive.PythonMetric.Tests.Sandbox;

/// <summary>The harness's behaviour seen through the real pool: cache, fresh globals, print, errors and limits.</summary>
public sealed class HarnessTests
{
    private static PythonWorkerPool OneWorker(int outputBytes = 64 * 1024) => PoolTests.NewPool(o =>
    {
        o.Workers = 1;
        o.OutputBytes = outputBytes;
    });

    private static PythonMetricRunRequest Keyed(string key, string source, string returnType = "float") =>
        PoolTests.Request(source) with { CodeKey = key, ReturnType = returnType };

    [Fact]
    public async Task A_changed_source_under_the_same_code_key_is_recompiled()
    {
        await using var pool = OneWorker();
        var first = await pool.RunAsync(Keyed("metric-1", "def metric(event):\n    return 1\n"), default);
        var second = await pool.RunAsync(Keyed("metric-1", "def metric(event):\n    return 2\n"), default);
        Assert.Equal(1, (double)first.Result!);
        Assert.Equal(2, (double)second.Result!);
    }

    [Fact]
    public async Task Globals_are_fresh_per_run_so_state_set_by_one_run_is_not_seen_by_the_next()
    {
        await using var pool = OneWorker();
        const string counter = "COUNT = [0]\ndef metric(event):\n    COUNT[0] = COUNT[0] + 1\n    return COUNT[0]\n";
        var runs = new List<double>();
        for (var i = 0; i < 3; i++) runs.Add((double)(await pool.RunAsync(Keyed("counter", counter), default)).Result!);
        Assert.Equal([1.0, 1.0, 1.0], runs);

        var setter = await pool.RunAsync(Keyed("setter", "def metric(event):\n    global leaked\n    leaked = 7\n    return leaked\n"), default);
        Assert.Equal(7, (double)setter.Result!);
        var reader = await pool.RunAsync(Keyed("reader", "def metric(event):\n    return leaked\n"), default);
        Assert.Equal(PythonMetricErrorCodes.Execution, reader.ErrorCode);
        Assert.Contains("NameError", reader.Message, StringComparison.Ordinal);
        Assert.Equal(1, pool.Stats.Started);
    }

    [Fact]
    public async Task Printed_output_is_returned_as_stdout_and_cut_at_the_output_limit()
    {
        await using var pool = OneWorker(outputBytes: 200);
        var small = await pool.RunAsync(PoolTests.Request("def metric(event):\n    print('a', 1)\n    print('b')\n    return 1\n"), default);
        Assert.True(small.Success, small.Message);
        Assert.Equal("a 1\nb\n", small.Stdout);

        var flood = await pool.RunAsync(PoolTests.Request("def metric(event):\n    for i in range(1000):\n        print('x' * 50)\n    return 1\n"), default);
        Assert.True(flood.Success, flood.Message);
        Assert.StartsWith(new string('x', 50) + "\n", flood.Stdout, StringComparison.Ordinal);
        Assert.Contains("[output truncated at 200 bytes]", flood.Stdout, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(flood.Stdout!) <= 200, $"stdout of {flood.Stdout!.Length} chars");
    }

    [Theory]
    [InlineData("def metric(event):\n    x = 1\n    return x +\n", 3)]
    [InlineData("import math\n\ndef metric(event):\n    return event.__class__\n", 4)]
    [InlineData("def metric(event):\n    return 1\n\nclass Hidden:\n    pass\n", 4)]
    [InlineData("def metric(event):\n    y = 2\n    return '{}'.format(y)\n", 3)]
    [InlineData("def metric(event):\n    return event.__class__\n\n\nclass Hidden:\n    pass\n", 2)]
    public async Task A_compilation_error_reports_the_line_of_the_users_source(string source, int line)
    {
        await using var pool = OneWorker();
        var result = await pool.RunAsync(PoolTests.Request(source), default);
        Assert.Equal(PythonMetricErrorCodes.Compilation, result.ErrorCode);
        Assert.Equal(line, result.Line);
    }

    [Fact]
    public async Task An_execution_error_shows_only_the_users_frames_and_no_host_paths()
    {
        await using var pool = OneWorker();
        const string source = "import json\n\ndef helper(text):\n    return json.loads(text)\n\ndef metric(event):\n    return helper('{broken')\n";
        var result = await pool.RunAsync(PoolTests.Request(source), default);

        Assert.Equal(PythonMetricErrorCodes.Execution, result.ErrorCode);
        var message = result.Message!;
        Assert.Contains("File \"<metric>\", line 7, in metric", message, StringComparison.Ordinal);
        Assert.Contains("File \"<metric>\", line 4, in helper", message, StringComparison.Ordinal);
        Assert.Contains("JSONDecodeError", message, StringComparison.Ordinal);
        Assert.Equal(4, result.Line);
        foreach (var host in new[] { "/usr/", "/work/", "/root/", ".py\"", "hh_sandbox", "RestrictedPython", "packages", "decoder" })
            Assert.DoesNotContain(host, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_messages_are_cut_at_the_output_limit()
    {
        await using var pool = OneWorker(outputBytes: 300);
        var result = await pool.RunAsync(PoolTests.Request("def metric(event):\n    raise ValueError('x' * 100000)\n"), default);
        Assert.Equal(PythonMetricErrorCodes.Execution, result.ErrorCode);
        Assert.True(Encoding.UTF8.GetByteCount(result.Message!) <= 300, $"message of {result.Message!.Length} chars");
    }

    [Fact]
    public async Task Source_larger_than_64_KB_is_refused_before_it_is_compiled()
    {
        await using var pool = OneWorker();
        var source = "def metric(event):\n    return 1\n" + string.Concat(Enumerable.Repeat("# padding padding padding padding padding\n", 1700));
        Assert.True(Encoding.UTF8.GetByteCount(source) > 64 * 1024);
        var result = await pool.RunAsync(PoolTests.Request(source), default);
        Assert.Equal(PythonMetricErrorCodes.Compilation, result.ErrorCode);
        Assert.Contains("64 KB", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_function_named_like_the_metric_is_called_and_otherwise_the_last_top_level_def()
    {
        await using var pool = OneWorker();
        const string source = "def helper(event):\n    return 1\n\ndef scorer(event):\n    return 2\n\ndef last(event):\n    return 3\n";
        var named = await pool.RunAsync(PoolTests.Request(source, name: "scorer"), default);
        var unnamed = await pool.RunAsync(PoolTests.Request(source, name: "My metric"), default);
        Assert.Equal(2, (double)named.Result!);
        Assert.Equal(3, (double)unnamed.Result!);
    }

    [Fact]
    public async Task A_library_that_imports_its_own_internals_on_first_use_works_in_a_fresh_worker()
    {
        // ndarray.sum imports numpy.core._methods from C on its first call, through the metric's __import__.
        await using var pool = PoolTests.NewPool(o =>
        {
            o.Workers = 1;
            o.Preload = ["numpy"];
        });
        var result = await pool.RunAsync(PoolTests.Request("import numpy as np\n\ndef metric(event):\n    return np.array([1, 2]).sum()\n"), default);
        Assert.True(result.Success, result.Message);
        Assert.Equal(3, (double)result.Result!);
    }

    [Fact]
    public async Task A_string_result_longer_than_the_output_limit_is_an_invalid_return()
    {
        await using var pool = OneWorker(outputBytes: 100);
        var result = await pool.RunAsync(Keyed("long", "def metric(event):\n    return 'y' * 101\n", "string"), default);
        Assert.Equal(PythonMetricErrorCodes.InvalidReturn, result.ErrorCode);
        var fits = await pool.RunAsync(Keyed("fits", "def metric(event):\n    return 'y' * 100\n", "string"), default);
        Assert.Equal(new string('y', 100), (string)fits.Result!);
    }
}
