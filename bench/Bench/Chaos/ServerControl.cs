using System.Diagnostics;

namespace HoneyHive.Bench.Chaos;

/// <summary>
/// Restarts the servers `./hh` started for this run (NATS, Redis, PostgreSQL) with hh's own stop and
/// start functions: <c>./hh _restart &lt;name&gt;</c>. `./hh chaos` names itself in HH_SCRIPT; without it
/// the server faults cannot run and say so.
/// </summary>
public static class ServerControl
{
    public const string ScriptVariable = "HH_SCRIPT";

    public static bool Available => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ScriptVariable));

    /// <summary>
    /// The pid of a server of the running bench instance, from hh's pid file (.data/bench/pids/NAME.pid),
    /// checked against the program's name as hh's running_pid does, so a reused pid is never signalled.
    /// </summary>
    public static int? RunningPid(string server, string program)
    {
        var script = Environment.GetEnvironmentVariable(ScriptVariable);
        if (string.IsNullOrEmpty(script)) return null;
        var file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(script))!, ".data", "bench", "pids", server + ".pid");
        if (!File.Exists(file) || !int.TryParse(File.ReadLines(file).FirstOrDefault(), out var pid)) return null;
        var comm = $"/proc/{pid}/comm";
        return File.Exists(comm) && File.ReadAllText(comm).Trim() == program ? pid : null;
    }

    public static async Task<TimeSpan> RestartAsync(string server, CancellationToken ct)
    {
        var script = Environment.GetEnvironmentVariable(ScriptVariable)
            ?? throw new InvalidOperationException($"{ScriptVariable} is not set; run through ./hh chaos to restart servers.");
        var start = new ProcessStartInfo(script)
        {
            ArgumentList = { "_restart", server },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {script}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} _restart {server} failed ({process.ExitCode}):\n{await stdout}{await stderr}");
        return clock.Elapsed;
    }
}
