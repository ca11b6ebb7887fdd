using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Bench.Writer;

/// <summary>
/// Wraps the store and sums the time of each kind of call (an insert per table, a query by its first
/// selected column), so `bench writer` shows where a batch's time goes.
/// </summary>
public sealed class TimedAnalyticsStore(IAnalyticsStore inner) : IAnalyticsStore
{
    private readonly ConcurrentDictionary<string, (int Calls, TimeSpan Time)> totals = new();

    public string Backend => inner.Backend;

    public IReadOnlyDictionary<string, (int Calls, TimeSpan Time)> Totals => totals;

    public void Reset() => totals.Clear();

    public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
        TimeAsync("execute " + Label(sql), () => inner.ExecuteAsync(sql, parameters, cancellationToken));

    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonElement> rows = [];
        await TimeAsync("query " + Label(sql), async () => rows = await inner.QueryAsync(sql, parameters, cancellationToken));
        return rows;
    }

    public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) =>
        TimeAsync("insert JSONEachRow " + table, () => inner.InsertJsonEachRowAsync(table, rows, cancellationToken));

    public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        TimeAsync($"insert {format} {table}", () => inner.InsertAsync(table, format, data, cancellationToken));

    private async Task TimeAsync(string label, Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await call();
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            totals.AddOrUpdate(label, (1, elapsed), (_, t) => (t.Calls + 1, t.Time + elapsed));
        }
    }

    /// <summary>The statement's first words after SELECT, enough to tell the Writer's queries apart.</summary>
    private static string Label(string sql)
    {
        var words = sql.Split((char[])[' ', '\n', '\r', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words.Take(4));
    }
}
