namespace HoneyHive.Bench.Load;

/// <summary>Request latencies of one phase; percentiles by sorting at the end (phases are short).</summary>
public sealed class LatencyRecorder
{
    private readonly List<double> milliseconds = [];

    public void Record(TimeSpan latency)
    {
        lock (milliseconds) milliseconds.Add(latency.TotalMilliseconds);
    }

    /// <summary>Adds another phase's latencies (rounds of the same measurement).</summary>
    public void Merge(LatencyRecorder other)
    {
        double[] theirs;
        lock (other.milliseconds) theirs = [.. other.milliseconds];
        lock (milliseconds) milliseconds.AddRange(theirs);
    }

    public int Count { get { lock (milliseconds) return milliseconds.Count; } }

    public double Percentile(double p)
    {
        lock (milliseconds)
        {
            if (milliseconds.Count == 0) return double.NaN;
            var sorted = milliseconds.Order().ToArray();
            var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
            return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
        }
    }

    public double Max() { lock (milliseconds) return milliseconds.Count == 0 ? double.NaN : milliseconds.Max(); }
}
