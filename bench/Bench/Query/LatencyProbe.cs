using System.Diagnostics;
using HoneyHive.Bench.Load;

namespace HoneyHive.Bench.Query;

/// <summary>
/// Runs one scenario after untimed warm-up calls, one call at a time (chDB serializes statements anyway);
/// <c>onTimedStart</c> runs between the warm-ups and the timed calls.
/// </summary>
public static class LatencyProbe
{
    public static async Task<(LatencyRecorder Latencies, string Answer)> MeasureAsync(
        Scenario scenario, int warmups, int repetitions, CancellationToken cancellationToken, Action? onTimedStart = null)
    {
        var answer = "";
        for (var i = 0; i < warmups; i++) answer = await scenario.RunAsync(cancellationToken);

        onTimedStart?.Invoke();
        var latencies = new LatencyRecorder();
        for (var i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            answer = await scenario.RunAsync(cancellationToken);
            latencies.Record(clock.Elapsed);
        }

        return (latencies, answer);
    }
}
