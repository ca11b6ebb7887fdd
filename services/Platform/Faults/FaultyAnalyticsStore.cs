using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Platform.Faults;

/// <summary>
/// Wraps the real analytics store and throws while <see cref="FaultSwitch.AnalyticsDown"/>: what the
/// Writer sees when ClickHouse is unreachable. Registered only when <c>Faults:Enabled</c> is true.
/// </summary>
public sealed class FaultyAnalyticsStore(IAnalyticsStore inner, FaultSwitch faults) : IAnalyticsStore
{
    public string Backend => inner.Backend;

    public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        ThrowIfDown(write: true);
        return inner.ExecuteAsync(sql, parameters, cancellationToken);
    }

    public Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        ThrowIfDown(write: false);
        return inner.QueryAsync(sql, parameters, cancellationToken);
    }

    public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken)
    {
        ThrowIfDown(write: true);
        return inner.InsertJsonEachRowAsync(table, rows, cancellationToken);
    }

    public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfDown(write: true);
        return inner.InsertAsync(table, format, data, cancellationToken);
    }

    public Task<byte[]> QueryFormattedAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, string format, CancellationToken cancellationToken)
    {
        ThrowIfDown(write: false);
        return inner.QueryFormattedAsync(sql, parameters, format, cancellationToken);
    }

    private void ThrowIfDown(bool write)
    {
        if (write ? faults.AnalyticsDown : faults.AnalyticsReadsDown)
            throw new InjectedFaultException("Test fault: the analytics store is down (Faults:Enabled, POST /internal/faults/analytics).");
    }
}
