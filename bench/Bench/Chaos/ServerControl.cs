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
