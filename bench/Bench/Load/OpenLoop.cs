using System.Diagnostics;

namespace HoneyHive.Bench.Load;

/// <summary>
/// Open-loop pacing: call n is due at n / rate seconds and starts then (or at once when the loop is late), whatever the
/// earlier calls are doing; each call reports its latency from its due time, so waiting behind a slow answer counts.
/// </summary>
public static class OpenLoop
{
    /// <param name="call">Makes one call given the run's clock and the call's due time; returns its latency from that due time.</param>
    public static async Task<LatencyRecorder> RunAsync(
        double rate, TimeSpan duration, Func<Stopwatch, TimeSpan, Task<TimeSpan>> call, CancellationToken ct)
    {
        var latencies = new LatencyRecorder();
        var count = (int)(rate * duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        var calls = new List<Task>(count);
        for (var n = 0; n < count; n++)
        {
            var due = TimeSpan.FromSeconds(n / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            calls.Add(Task.Run(async () => latencies.Record(await call(clock, due)), ct));
        }
        await Task.WhenAll(calls);
        return latencies;
    }
}
