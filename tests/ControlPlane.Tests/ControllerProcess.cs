using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>
/// A controller (ControlPlane.Controller or DataPlane.Controller) as a real process, from its build output, so a test
/// can kill it with SIGKILL: no graceful shutdown, no flush, whatever it was doing cut off.
/// </summary>
public sealed class ControllerProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly Process process;

    private ControllerProcess(Process process) => this.process = process;

    public string Output { get { lock (output) return output.ToString(); } }

    public bool HasExited => process.HasExited;

    /// <param name="project">ControlPlane.Controller or DataPlane.Controller.</param>
    public static ControllerProcess Start(string project, IReadOnlyDictionary<string, string> environment)
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
        start.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var started = new ControllerProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {project}."));
        started.process.OutputDataReceived += (_, e) => { lock (started.output) started.output.AppendLine(e.Data); };
        started.process.ErrorDataReceived += (_, e) => { lock (started.output) started.output.AppendLine(e.Data); };
        started.process.BeginOutputReadLine();
        started.process.BeginErrorReadLine();
        return started;
    }

    /// <summary>SIGKILL, and wait until it is gone.</summary>
    public async Task KillAsync()
    {
        if (process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync();
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

    private static string Locate(string project)
    {
        var configuration = typeof(ControllerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))
            ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        var dll = Path.Combine(repo, "services", project, "bin", configuration, "net10.0", $"HoneyHive.{project}.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build the tests first (they reference {project}).");
    }
}
