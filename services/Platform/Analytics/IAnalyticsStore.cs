using System.Text.Json;

namespace HoneyHive.Platform.Analytics;

/// <summary>
/// The ClickHouse engine: embedded chDB or a ClickHouse server. SQL uses ClickHouse query
/// parameters (<c>{name:Type}</c>); user strings are never spliced into SQL text.
/// </summary>
public interface IAnalyticsStore
{
    /// <summary>"chdb" or "clickhouse".</summary>
    string Backend { get; }

    /// <summary>Run a statement that returns no rows (DDL, INSERT ... SELECT).</summary>
    Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken);

    /// <summary>Run a query and return its rows as JSON objects (format JSONEachRow).</summary>
    Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken);

    /// <summary>Insert newline-delimited JSON objects into a table (format JSONEachRow).</summary>
    Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken);

    /// <summary>
    /// Insert rows encoded in any ClickHouse input format (<c>RowBinary</c>, <c>Native</c>,
    /// <c>Arrow</c>, <c>JSONEachRow</c>...) into a table.
    /// </summary>
    Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Run a query and return its whole output encoded in a ClickHouse output <paramref name="format"/>
    /// (<c>Parquet</c>, <c>Native</c>...), as the engine wrote it. The output is held in memory: callers
    /// bound what one query returns (the archiver asks for one project-day at a time).
    /// </summary>
    /// <remarks>
    /// A default body, so decorators written before this member (tests' counting and flaky stores, the
    /// benches' timers) keep compiling; they refuse it instead of silently reading another store.
    /// </remarks>
    Task<byte[]> QueryFormattedAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, string format, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not forward formatted queries; wrap a store that does.");
}

/// <summary>An error ClickHouse reported, with its numeric code when known.</summary>
public sealed class AnalyticsStoreException(string message, int? code = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>ClickHouse error code (e.g. 62 for a syntax error), when the engine gave one.</summary>
    public int? Code { get; } = code;
}
