using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// A controller (ControlPlane.Controller or DataPlane.Controller) as a real process, from its build output, so a test
/// can kill it with SIGKILL (no graceful shutdown, no flush, whatever it was doing cut off) and a benchmark can stop it
/// with SIGTERM. Also compiled into bench/Bench (linked there), which cannot reference a test project.
/// </summary>
public sealed class ControllerProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly Process process;

    private ControllerProcess(Process process) => this.process = process;

    public string Output { get { lock (output) return output.ToString(); } }

    public bool HasExited => process.HasExited;

    /// <param name="project">ControlPlane.Controller or DataPlane.Controller.</param>
    /// <param name="environment">Its settings, as environment variables.</param>
    /// <param name="logLevel">Logging:LogLevel:Default; tests read the output, a benchmark keeps it quiet.</param>
    public static ControllerProcess Start(string project, IReadOnlyDictionary<string, string> environment, string logLevel = "Information")
    {
        var dll = Locate(project);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(Path.GetDirectoryName(dll)!);
        start.Environment["Logging__LogLevel__Default"] = logLevel;
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var started = new ControllerProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {project}."));
        started.process.OutputDataReceived += (_, e) => { lock (started.output) started.output.AppendLine(e.Data); };
        started.process.ErrorDataReceived += (_, e) => { lock (started.output) started.output.AppendLine(e.Data); };
        started.process.BeginOutputReadLine();
        started.process.BeginErrorReadLine();
        return started;
    }

    /// <summary>SIGKILL, and wait until it is gone: a crash.</summary>
    public async Task KillAsync()
    {
        if (process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as an operator stops it, and wait up to 30 s for it to exit (then SIGKILL).</summary>
    public async Task StopAsync()
    {
        if (process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!) await term.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The controller built in the caller's configuration, else in the other one.</summary>
    private static string Locate(string project)
    {
        var configuration = typeof(ControllerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))
            ?? throw new InvalidOperationException("HoneyHive.sln not found above the running assembly.");
        var candidates = new[] { configuration, configuration == "Release" ? "Debug" : "Release" }
            .Select(c => Path.Combine(repo, "services", project, "bin", c, "net10.0", $"HoneyHive.{project}.dll"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"services/{project} is not built ({string.Join(", ", candidates)} are missing); build the solution first.");
    }
}
