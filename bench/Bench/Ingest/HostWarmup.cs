using System.Globalization;
using HoneyHive.Bench.Load;

namespace HoneyHive.Bench.Ingest;

/// <summary>
/// Load on a fresh Host until its JIT has finished tiering up the path a protocol uses. Measured
/// (2026-12-06): a fresh Host spent ~100 µs of CPU per span for its first 20-40 s of OTLP load and
/// ~25 µs afterwards, whatever the protocol, while its tiered-compilation thread was busy; with a fixed
/// 3 s warm-up on HTTP only, the protocol measured first paid that, which read as "HTTP/1.1 at half the
/// gRPC rate". A fixed longer warm-up would be a guess that a slower or busier machine outlasts, so
/// this one watches the JIT itself.
/// </summary>
public static class HostWarmup
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private const int MaxWindows = 45;

    /// <summary>One warm-up window: the Host's CPU and its tiered-compilation thread's CPU per span.</summary>
    public readonly record struct WindowSample(double HostCpuPerSpan, double JitCpuPerSpan);

    /// <summary>How a protocol's warm-up went, for the table's note.</summary>
    public sealed record Outcome(string Protocol, int Windows, bool Settled, double FirstCpuPerSpan, double LastCpuPerSpan)
    {
        public string Note => string.Create(CultureInfo.InvariantCulture,
            $"{Windows} × {Window.TotalSeconds:0} s, host {FirstCpuPerSpan:0.0} -> {LastCpuPerSpan:0.0} µs/span{(Settled ? "" : ", NOT settled")}");
    }

    public static async Task<Outcome> RunAsync(IOtlpSender sender, Func<int> hostPid, int concurrency, int spansPerRequest, CancellationToken ct)
    {
        var samples = new List<WindowSample>();
        while (samples.Count < MaxWindows && !Settled(samples))
        {
            var pid = hostPid();
            var (hostBefore, jitBefore) = (ThreadCpu.Process(pid), ThreadCpu.TieredCompilation(pid));
            var run = await LoadRun.RunAsync(sender, concurrency, spansPerRequest, Window, null, ct);
            var spans = Math.Max(1, run.AcceptedSpans);
            samples.Add(new WindowSample(
                (ThreadCpu.Process(pid) - hostBefore).TotalMicroseconds / spans,
                (ThreadCpu.TieredCompilation(pid) - jitBefore).TotalMicroseconds / spans));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   warm-up {sender.Protocol} {samples.Count}: {run.SpansPerSecond:0} spans/s, host {samples[^1].HostCpuPerSpan:0.0} µs/span, of which JIT {samples[^1].JitCpuPerSpan:0.0}"));
        }
        return new Outcome(sender.Protocol, samples.Count, Settled(samples), samples[0].HostCpuPerSpan, samples[^1].HostCpuPerSpan);
    }

    /// <summary>
    /// Warm when, in each of the last two windows, the tiered-compilation thread spent under 2 % of the
    /// Host's CPU and the Host's CPU per span stayed within 10 % of the window before. The JIT condition
    /// alone is not enough (a method promoted late still makes the next window cheaper), nor is a flat
    /// CPU per span (it plateaus for seconds while call counting waits, then falls again).
    /// </summary>
    public static bool Settled(IReadOnlyList<WindowSample> samples)
    {
        if (samples.Count < 3) return false;
        for (var i = samples.Count - 2; i < samples.Count; i++)
        {
            var (previous, current) = (samples[i - 1], samples[i]);
            if (current.JitCpuPerSpan >= 0.02 * current.HostCpuPerSpan) return false;
            if (Math.Abs(current.HostCpuPerSpan - previous.HostCpuPerSpan) > 0.10 * previous.HostCpuPerSpan) return false;
        }
        return true;
    }
}

/// <summary>CPU time of a process and of its runtime's tiered-compilation thread, from /proc (Linux; zero elsewhere).</summary>
public static class ThreadCpu
{
    // The thread's comm: ".NET Tiered Compilation Worker" cut to the kernel's 15 characters.
    private const string TieredCompilationThread = ".NET Tiered Com";

    public static TimeSpan Process(int pid) => Ticks($"/proc/{pid}/stat");

    public static TimeSpan TieredCompilation(int pid)
    {
        var total = TimeSpan.Zero;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (ReadOrEmpty(Path.Combine(task, "comm")).TrimEnd('\n') == TieredCompilationThread) total += Ticks(Path.Combine(task, "stat"));
            }
        }
        catch (IOException)
        {
            // The process ended: nothing more to count.
        }
        return total;
    }

    private static TimeSpan Ticks(string statPath)
    {
        var stat = ReadOrEmpty(statPath);
        if (stat.Length == 0) return TimeSpan.Zero;
        // Fields after the parenthesized command name; utime and stime are the 14th and 15th overall, in clock ticks (100/s).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static string ReadOrEmpty(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return ""; }
    }
}
