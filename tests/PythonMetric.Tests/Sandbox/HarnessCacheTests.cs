using System.Diagnostics;

namespace HoneyHive.PythonMetric.Tests.Sandbox;

/// <summary>
/// The compiled-code cache is invisible through the run contract by design, so these run the harness
/// module itself in Debian's python3.11 (the same interpreter the workers host) and read its counters.
/// </summary>
public sealed class HarnessCacheTests
{
    // Debian's interpreter for libpython3.11 (installed with python3-numpy by ./hh); the pyenv python3 on
    // PATH is another build without the Debian packages.
    private const string DebianPython = "/usr/bin/python3.11";

    private const string Script = """
        import json, sys
        sys.path[:0] = [sys.argv[1], sys.argv[2]]
        import hh_sandbox
        hh_sandbox.prepare([])
        def run(key, source):
            request = {"project_id": "p", "code_key": key, "metric_name": "metric", "source": source,
                       "return_type": "float", "categories": None, "event": {}, "timeout_ms": 1000}
            return json.loads(hh_sandbox.run(json.dumps(request)))["result"]
        one = "def metric(event):\n    return 1\n"
        two = "def metric(event):\n    return 2\n"
        results = [run("a", one), run("a", one)]
        after_reuse = hh_sandbox._stats["compiles"]
        results.append(run("a", two))
        after_change = hh_sandbox._stats["compiles"]
        for i in range(hh_sandbox.CACHE_SIZE + 50):
            run("k%d" % i, one)
        print(json.dumps({"results": results, "after_reuse": after_reuse, "after_change": after_change,
                          "cached": len(hh_sandbox._cache), "limit": hh_sandbox.CACHE_SIZE}))
        """;

    [Fact]
    public async Task The_same_code_key_reuses_its_compiled_code_a_changed_source_recompiles_and_the_cache_stays_bounded()
    {
        var harness = Path.Combine(AppContext.BaseDirectory, "python");
        var start = new ProcessStartInfo(DebianPython, ["-c", Script, TestServers.RestrictedPythonPath, harness])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);

        var answer = System.Text.Json.Nodes.JsonNode.Parse(await stdout)!;
        Assert.Equal("[1.0,1.0,2.0]", answer["results"]!.ToJsonString());
        Assert.Equal(1, (int)answer["after_reuse"]!);
        Assert.Equal(2, (int)answer["after_change"]!);
        Assert.Equal((int)answer["limit"]!, (int)answer["cached"]!);
    }
}
