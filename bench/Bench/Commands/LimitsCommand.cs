using System.Diagnostics;
using System.Globalization;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench limits`: the ceilings of the parts the pipeline is built from (JetStream durable
/// publish, chDB insert, OTLP protobuf decode), each measured alone for a few seconds.
/// </summary>
public static class LimitsCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ILimit[] all = [new JetStreamPublishLimit(), new ChdbInsertLimit(), new OtlpDecodeLimit()];
        // `limits chdb otlp` runs only the named ones; no argument runs all.
        var limits = all.Where(l => args.Length == 0 || args.Any(a => l.Name.Contains(a, StringComparison.OrdinalIgnoreCase))).ToArray();
        BenchEnvironment.EnsureSet(limits.SelectMany(l => l.RequiredEnvironment).Distinct().ToArray());

        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();
        foreach (var limit in limits)
        {
            Console.WriteLine($"# {limit.Name} ...");
            var sw = Stopwatch.StartNew();
            results.AddRange(await limit.MeasureAsync(ct));
            Console.WriteLine($"# {limit.Name} done in {sw.Elapsed.TotalSeconds:0.0} s");
        }

        await ResultFile.PublishAsync("limits", startedAt, results, SummaryLine(results), ct);
        return 0;
    }

    private static string SummaryLine(IReadOnlyList<Measurement> results)
    {
        var jetstream = Find(results, m => m.Name == JetStreamPublishLimit.SmallMessageName && m.Unit == "msgs/s");
        var chdb = Find(results, m => m.Name.StartsWith(ChdbInsertLimit.InsertNamePrefix, StringComparison.Ordinal) && m.Unit == "rows/s");
        var otlp = Find(results, m => m.Name == OtlpDecodeLimit.DecodeName && m.Unit == "spans/s");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"limits: jetstream_msgs_per_s={jetstream:0} chdb_rows_per_s={chdb:0} otlp_decode_spans_per_s={otlp:0}");
    }

    // The best value among matches (for chDB: the fastest format).
    private static double Find(IReadOnlyList<Measurement> results, Func<Measurement, bool> match) =>
        results.Where(match).Select(m => m.Value).DefaultIfEmpty(0).Max();
}
