using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.PythonMetric.Worker;

namespace HoneyHive.PythonMetric.Tests;

/// <summary>The worker executable speaks the frame protocol: config, hello, then one answer per run.</summary>
public sealed class WorkerWireTests
{
    [Fact]
    public async Task A_worker_started_by_hand_says_hello_answers_a_run_over_frames_and_exits_when_its_stdin_closes()
    {
        var workerDll = Path.Combine(AppContext.BaseDirectory, "HoneyHive.PythonMetric.Worker.dll");
        Assert.True(File.Exists(workerDll), $"The worker is not copied beside the module: {workerDll}");
        var start = new ProcessStartInfo("dotnet", [workerDll]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        try
        {
            var config = new WorkerConfig(TestServers.PythonLibrary,
                [TestServers.RestrictedPythonPath, Path.Combine(AppContext.BaseDirectory, "python")], [],
                new WorkerLimits(512, 60, 256, 16, 65536, 65534, []));
            await WorkerFrames.WriteAsync(process.StandardInput.BaseStream, JsonSerializer.Serialize(config, WorkerJson.Default.WorkerConfig), default);
            var hello = JsonSerializer.Deserialize(await WorkerFrames.ReadAsync(process.StandardOutput.BaseStream, default) ?? "null", WorkerJson.Default.WorkerHello);
            Assert.True(hello?.Ready, hello?.Error);

            var request = new JsonObject
            {
                ["project_id"] = "p", ["code_key"] = "k", ["metric_name"] = "length", ["return_type"] = "float",
                ["source"] = "def length(event):\n    return len(event['outputs']['content'])\n",
                ["event"] = new JsonObject { ["outputs"] = new JsonObject { ["content"] = "hello" } }, ["timeout_ms"] = 5000,
            };
            await WorkerFrames.WriteAsync(process.StandardInput.BaseStream, request.ToJsonString(), default);
            var answer = JsonNode.Parse(await WorkerFrames.ReadAsync(process.StandardOutput.BaseStream, default) ?? "null")!;
            Assert.True((bool)answer["success"]!, answer.ToJsonString());
            Assert.Equal(5, (double)answer["result"]!);

            // The pool going away (a killed Host) closes the worker's stdin: the worker must leave, not linger
            // as an orphan. The limit only bounds the wait for a hang; a healthy worker exits at once.
            process.StandardInput.Close();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
