using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// The real store behind a switch that makes calls fail: for the next N calls, or until turned off.
/// Exists only in tests, to stand for a ClickHouse outage.
/// </summary>
public sealed class FlakyAnalyticsStore(IAnalyticsStore inner) : IAnalyticsStore
{
    private int failuresLeft;
    private int failed;
    private string? failingTable;
    private int tableFailuresLeft;

    /// <summary>Fail every call while true.</summary>
    public bool Down { get; set; }

    /// <summary>Calls that failed so far.</summary>
    public int Failed => Volatile.Read(ref failed);

    public void FailNext(int calls) => Volatile.Write(ref failuresLeft, calls);

    /// <summary>Fail the next <paramref name="calls"/> inserts into <paramref name="table"/> only.</summary>
    public void FailInsertsInto(string table, int calls)
    {
        Volatile.Write(ref failingTable, table);
        Volatile.Write(ref tableFailuresLeft, calls);
    }

    public string Backend => inner.Backend;

    public async Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        Gate();
        await inner.ExecuteAsync(sql, parameters, cancellationToken);
    }

    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        Gate();
        return await inner.QueryAsync(sql, parameters, cancellationToken);
    }

    public async Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken)
    {
        Gate();
        GateInsert(table);
        await inner.InsertJsonEachRowAsync(table, rows, cancellationToken);
    }

    public async Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Gate();
        GateInsert(table);
        await inner.InsertAsync(table, format, data, cancellationToken);
    }

    private void GateInsert(string table)
    {
        if (table == Volatile.Read(ref failingTable) && Interlocked.Decrement(ref tableFailuresLeft) >= 0)
        {
            Interlocked.Increment(ref failed);
            throw new AnalyticsStoreException($"Insert into {table} refused (simulated failure)");
        }
    }

    private void Gate()
    {
        if (Down || Interlocked.Decrement(ref failuresLeft) >= 0)
        {
            Interlocked.Increment(ref failed);
            throw new AnalyticsStoreException("Connection refused (simulated outage)");
        }
    }
}
