using System.Diagnostics;
using System.Text.Json;
using HoneyHive.PythonMetric.Worker;

namespace HoneyHive.PythonMetric.Tests.Isolation;

/// <summary>
/// A worker mounts only when its mount namespace is certainly not the pool's (the pool says which is its own):
/// as root in the machine's own namespace its mounts would cover the machine's /tmp. Checked safely: the
/// worker runs in a mount namespace of its own, but without the pool's word, so it must mount nothing.
/// </summary>
public sealed class MountGuardTests
{
    [Fact]
    public async Task A_worker_not_told_the_pools_namespaces_mounts_nothing_and_says_so()
    {
        var start = new ProcessStartInfo("/usr/bin/unshare") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "--mount", "--propagation", "private", "--", "dotnet", Path.Combine(AppContext.BaseDirectory, "HoneyHive.PythonMetric.Worker.dll") })
            start.ArgumentList.Add(argument);
        start.Environment.Remove("HH_POOL_NAMESPACES");
        var mountsBefore = File.ReadAllText("/proc/self/mountinfo");
        using var process = Process.Start(start)!;
        try
        {
            var config = new WorkerConfig(TestServers.PythonLibrary, [PoolTests.ProbeHarness], [],
                new WorkerLimits(256, 60, 64, 4, 65536, 65534, [AppContext.BaseDirectory]));
            await WorkerFrames.WriteAsync(process.StandardInput.BaseStream, JsonSerializer.Serialize(config, WorkerJson.Default.WorkerConfig), default);
            var hello = JsonSerializer.Deserialize(await WorkerFrames.ReadAsync(process.StandardOutput.BaseStream, default) ?? "null", WorkerJson.Default.WorkerHello);

            Assert.True(hello?.Ready, hello?.Error);
            Assert.False(hello!.Isolation!.MountNamespace);
            Assert.False(hello.Isolation.PrivateTmp);
            Assert.False(hello.Isolation.ReadOnlyRoot);
            Assert.True(hello.Isolation.UnprivilegedUser);
            Assert.Equal(mountsBefore, File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
