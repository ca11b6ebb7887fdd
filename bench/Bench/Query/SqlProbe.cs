using System.Diagnostics;
using System.Globalization;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Bench.Query;

/// <summary>
/// Times one statement on kept data (chDB has no system.query_log: profiling means timing variants),
/// with {project:String} and {session:String} bound; prints the first rows of its answer, so EXPLAIN works too.
/// </summary>
public static class SqlProbe
{
    public static async Task RunAsync(IAnalyticsStore store, string sql, Guid project, string session, int repetitions, CancellationToken ct)
    {
        var parameters = new Dictionary<string, object?> { ["project"] = project.ToString(), ["session"] = session };
        var rows = await store.QueryAsync(sql, parameters, ct);
        foreach (var row in rows.Take(5)) Console.WriteLine(row.ToString());
        Console.WriteLine($"# {rows.Count} rows");
        var times = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            await store.QueryAsync(sql, parameters, ct);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        if (times.Count > 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# min {times[0]:0.0} ms, median {times[times.Count / 2]:0.0} ms, max {times[^1]:0.0} ms over {times.Count}"));
    }
}
