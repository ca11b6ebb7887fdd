using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.PythonMetric.Worker;

namespace HoneyHive.PythonMetric.Tests.Sandbox;

/// <summary>
/// pythonnet registers a <c>clr</c> package and a .NET import finder in the worker's interpreter. A metric
/// cannot look at sys.modules, so this starts a real worker whose hh_sandbox is a probe: it runs the real
/// harness's prepare, then reports what is left of pythonnet's Python side.
/// </summary>
public sealed class ClrReachTests
{
    private const string Probe = """
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location("hh_sandbox_real", HARNESS + "/hh_sandbox.py")
        real = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(real)

        def prepare(preload, output_bytes=65536):
            global before
            before = sorted(m for m in sys.modules if m == "clr" or m.startswith("clr."))
            real.prepare(preload, output_bytes)

        def run(request_json):
            try:
                import System
                system = "imported"
            except ImportError:
                system = "refused"
            return json.dumps({
                "before": before,
                "after": sorted(m for m in sys.modules if m == "clr" or m.startswith("clr.")),
                "finders": [getattr(f, "__name__", type(f).__name__) for f in sys.meta_path],
                "import_system": system,
                "honest": json.loads(real.run(request_json))["result"],
            })
        """;

    [Fact]
    public async Task After_prepare_the_worker_has_no_clr_module_and_no_dotnet_import_finder_even_for_host_code()
    {
        var harness = Path.Combine(AppContext.BaseDirectory, "python");
        var probeFolder = Directory.CreateTempSubdirectory("hh-clr-probe-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(probeFolder.FullName, "hh_sandbox.py"),
                $"HARNESS = {JsonSerializer.Serialize(harness)}\n" + Probe);
            var answer = await RunProbeAsync(probeFolder.FullName, harness);

            Assert.NotEqual("[]", answer["before"]!.ToJsonString());
            Assert.Equal("[]", answer["after"]!.ToJsonString());
            Assert.DoesNotContain("DotNetFinder", answer["finders"]!.AsArray().Select(f => (string)f!));
            Assert.Equal("refused", (string)answer["import_system"]!);
            Assert.Equal(5, (double)answer["honest"]!);
        }
        finally
        {
            probeFolder.Delete(recursive: true);
        }
    }

    private static async Task<JsonNode> RunProbeAsync(string probeFolder, string harness)
    {
        var workerDll = Path.Combine(AppContext.BaseDirectory, "HoneyHive.PythonMetric.Worker.dll");
        var start = new ProcessStartInfo("dotnet", [workerDll]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.Environment.Remove("PYTHONHOME");
        start.Environment.Remove("PYTHONPATH");
        using var process = Process.Start(start)!;
        try
        {
            var config = new WorkerConfig(TestServers.PythonLibrary, [TestServers.RestrictedPythonPath, probeFolder, harness], [],
                new WorkerLimits(512, 60, 256, 16, 65536, 65534, []));
            await WorkerFrames.WriteAsync(process.StandardInput.BaseStream, JsonSerializer.Serialize(config, WorkerJson.Default.WorkerConfig), default);
            var hello = JsonSerializer.Deserialize(await WorkerFrames.ReadAsync(process.StandardOutput.BaseStream, default) ?? "null", WorkerJson.Default.WorkerHello);
            Assert.True(hello?.Ready, hello?.Error);

            var request = new JsonObject
            {
                ["project_id"] = "p", ["code_key"] = "k", ["metric_name"] = "metric", ["return_type"] = "float",
                ["source"] = "def metric(event):\n    return len(event['outputs']['content'])\n",
                ["event"] = new JsonObject { ["outputs"] = new JsonObject { ["content"] = "hello" } }, ["timeout_ms"] = 5000,
            };
            await WorkerFrames.WriteAsync(process.StandardInput.BaseStream, request.ToJsonString(), default);
            return JsonNode.Parse(await WorkerFrames.ReadAsync(process.StandardOutput.BaseStream, default) ?? "null")!;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
