using System.Globalization;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;

namespace HoneyHive.Bench.Ingest;

/// <summary>
/// Load on a fresh Host until its JIT has finished tiering up the path a protocol uses. Measured
/// (2026-12-06): a fresh Host spent ~100 µs of CPU per span for its first 20-60 s of OTLP load and
/// ~25 µs afterwards, whatever the protocol, while its tiered-compilation thread was busy; with a fixed
/// 3 s warm-up on HTTP only, the protocol measured first paid that, which read as "HTTP/1.1 at half the
/// gRPC rate". A fixed longer warm-up would be a guess that a slower or busier machine outlasts, so
/// this one watches the JIT itself.
/// </summary>
public static class HostWarmup
{
    // The runtime's ".NET Tiered Compilation Worker" thread as the kernel names it (15 characters).
    private const string TieredCompilationThread = ".NET Tiered Com";
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
            var (hostBefore, jitBefore) = (ProcessSampler.CpuTime(pid), ProcessSampler.ThreadCpuTime(pid, TieredCompilationThread));
            var run = await LoadRun.RunAsync(sender, concurrency, spansPerRequest, Window, null, ct);
            var spans = Math.Max(1, run.AcceptedSpans);
            samples.Add(new WindowSample(
                (ProcessSampler.CpuTime(pid) - hostBefore).TotalMicroseconds / spans,
                (ProcessSampler.ThreadCpuTime(pid, TieredCompilationThread) - jitBefore).TotalMicroseconds / spans));
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
