using System.Diagnostics;
using HoneyHive.PythonMetric.Worker.Isolation;

namespace HoneyHive.PythonMetric.Pool;

/// <summary>
/// How a worker process is started: through util-linux <c>unshare</c> into a network namespace of its own
/// (no interface but a down loopback: no network at all) and a private mount namespace (where the worker
/// mounts its temp folders and makes the rest read-only), as root directly, as another user in a user
/// namespace of its own where the kernel allows it, else plainly (the worker's hello then says so).
/// unshare execs the worker, so the process the pool holds is the worker itself.
/// </summary>
public static class WorkerLauncher
{
    private const string Unshare = "/usr/bin/unshare";
    private static readonly Lazy<string> PoolNamespaces = new(Namespaces.Current);
    private static readonly string[] UnshareNamespaces = ["--net", "--mount", "--propagation", "private"];
    private static readonly Lazy<string[]> Prefix = new(Probe);

    /// <summary>The unshare arguments in use (empty: started plainly).</summary>
    public static IReadOnlyList<string> UnsharePrefix => Prefix.Value;

    public static ProcessStartInfo StartInfo(string workerAssembly)
    {
        var prefix = Prefix.Value;
        var start = new ProcessStartInfo(prefix.Length > 0 ? Unshare : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var argument in prefix) start.ArgumentList.Add(argument);
        if (prefix.Length > 0)
        {
            start.ArgumentList.Add("dotnet");
            // The worker mounts only when its mount namespace is certainly not the pool's (WorkerMounts.OwnNamespace).
            start.Environment[Namespaces.PoolNamespacesVariable] = PoolNamespaces.Value;
        }

        start.ArgumentList.Add(workerAssembly);
        return start;
    }

    // Tried once per process with /bin/true: a container without CAP_SYS_ADMIN or a kernel without user
    // namespaces refuses unshare, and the pool must still run (with less isolation, said in the hello).
    private static string[] Probe()
    {
        if (!File.Exists(Unshare)) return [];
        string[] asRoot = [.. UnshareNamespaces, "--"];
        string[] asUser = ["--user", "--map-root-user", .. UnshareNamespaces, "--"];
        foreach (var candidate in Environment.IsPrivilegedProcess ? [asRoot, asUser] : new[] { asUser })
        {
            if (Succeeds(candidate)) return candidate;
        }

        return [];
    }

    private static bool Succeeds(string[] prefix)
    {
        try
        {
            var start = new ProcessStartInfo(Unshare) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in prefix) start.ArgumentList.Add(argument);
            start.ArgumentList.Add("/bin/true");
            using var process = Process.Start(start)!;
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
