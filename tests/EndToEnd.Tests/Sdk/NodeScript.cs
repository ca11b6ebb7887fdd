using System.Diagnostics;

// Not "...Tests.Sdk": that namespace would hide OpenTelemetry's Sdk class from the other tests.
namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>Runs the scripts of tests/sdk (the official SDK as a real client) and returns their last output line.</summary>
internal static class NodeScript
{
    /// <summary>Runs a script of tests/sdk with node; fails loudly when node or the npm packages are missing.</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        var folder = SdkFolder();
        foreach (var package in new[] { "honeyhive", "openai" })
        {
            if (!Directory.Exists(Path.Combine(folder, "node_modules", package)))
                throw new InvalidOperationException($"{folder}/node_modules/{package} is missing: run `npm ci` there (./hh test does).");
        }
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("node is not installed or not on PATH; the official SDK test needs it.", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            var output = await stdout;
            Assert.True(process.ExitCode == 0, $"node {script} exited with {process.ExitCode}:\n{output}\n{await stderr}");
            return output.Trim().Split('\n')[^1];
        }
    }

    private static string SdkFolder()
    {
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln")))
            repo = Path.GetDirectoryName(repo.TrimEnd('/')) ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        return Path.Combine(repo, "tests", "sdk");
    }
}
