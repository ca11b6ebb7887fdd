using System.Diagnostics;
using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Bench.Query;

/// <summary>
/// The store the query classes call, timing every statement: what a scenario spends inside the store (chDB running
/// the statement and the answer parsed into rows) against what it spends in our own code around it (building SQL,
/// reading rows, writing JSON). Statements run one at a time, so the sums need no lock. With HH_BENCH_STATEMENTS=1 in
/// the environment each statement's time, rows and opening words are printed too, to see which one dominates a call.
/// </summary>
public sealed class TimedStore(IAnalyticsStore inner) : IAnalyticsStore
{
    private static readonly bool PrintStatements = Environment.GetEnvironmentVariable("HH_BENCH_STATEMENTS") == "1";

    public string Backend => inner.Backend;

    /// <summary>Time inside the store since the last <see cref="Reset"/>.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Statements since the last <see cref="Reset"/>.</summary>
    public int Statements { get; private set; }

    public void Reset()
    {
        Elapsed = TimeSpan.Zero;
        Statements = 0;
    }

    public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
        TimeAsync(() => inner.ExecuteAsync(sql, parameters, cancellationToken));

    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonElement> rows = [];
        var before = Elapsed;
        await TimeAsync(async () => rows = await inner.QueryAsync(sql, parameters, cancellationToken));
        if (PrintStatements)
        {
            var words = string.Join(' ', sql.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
            Console.WriteLine(FormattableString.Invariant($"#   {(Elapsed - before).TotalMilliseconds,8:0.0} ms {rows.Count,7} rows  {words[..Math.Min(words.Length, 160)]}"));
        }
        return rows;
    }

    public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) =>
        TimeAsync(() => inner.InsertJsonEachRowAsync(table, rows, cancellationToken));

    public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        TimeAsync(() => inner.InsertAsync(table, format, data, cancellationToken));

    private async Task TimeAsync(Func<Task> statement)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await statement();
        }
        finally
        {
            Elapsed += clock.Elapsed;
            Statements++;
        }
    }
}
