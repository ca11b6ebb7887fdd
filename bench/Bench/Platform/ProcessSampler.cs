using System.Diagnostics;

namespace HoneyHive.Bench.Platform;

/// <summary>
/// Samples a process's resident memory (VmRSS from /proc) and CPU time a few times a second, so a phase
/// can report its peak RSS and the cores it used. The process id is read on each sample, so a restarted
/// process is followed.
/// </summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    private readonly Func<int> processId;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private double peakMegabytes;

    public ProcessSampler(Func<int> processId, TimeSpan? period = null)
    {
        this.processId = processId;
        loop = RunAsync(period ?? TimeSpan.FromMilliseconds(200));
    }

    /// <summary>Highest RSS seen since the last <see cref="ResetPeak"/>, in MB (10^6 bytes).</summary>
    public double PeakMegabytes { get { lock (stop) return peakMegabytes; } }

    public void ResetPeak() { lock (stop) peakMegabytes = 0; }

    public static double ResidentMegabytes(int pid) => ReadStatusKilobytes(pid, "VmRSS:") * 1024 / 1e6;

    /// <summary>CPU time (user + system) of a process, from /proc/&lt;pid&gt;/stat.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>
    /// CPU time (user + system) of a process's threads named <paramref name="threadName"/> (the kernel's comm,
    /// cut to 15 characters), from /proc/&lt;pid&gt;/task; zero elsewhere or once the process is gone.
    /// </summary>
    public static TimeSpan ThreadCpuTime(int pid, string threadName)
    {
        var ticks = 0L;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != threadName) continue;
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                // Fields after the parenthesized name; utime and stime are the 14th and 15th overall, in ticks of 10 ms.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A thread (or the process) ended while being read: what was counted stands.
        }
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private async Task RunAsync(TimeSpan period)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                var rss = ResidentMegabytes(processId());
                lock (stop) peakMegabytes = Math.Max(peakMegabytes, rss);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double ReadStatusKilobytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
