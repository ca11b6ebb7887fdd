using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Analytics.Chdb;

/// <summary>Where chDB lives.</summary>
public sealed class ChdbOptions
{
    /// <summary>Path of libchdb.so (<c>ClickHouse:ChdbLibrary</c>).</summary>
    public required string LibraryPath { get; init; }

    /// <summary>The engine's data folder (<c>ClickHouse:DataPath</c>); one process owns it at a time.</summary>
    public required string DataPath { get; init; }

    /// <summary>The engine's memory bounds (<c>ClickHouse:Memory</c>); bounded by default, see <see cref="ChdbMemory"/>.</summary>
    public ChdbMemory Memory { get; init; } = new();
}

/// <summary>
/// ClickHouse embedded in the process through chDB's C API. One connection per process: the
/// engine is process-global (one data path, global threads), so the store is a singleton and
/// constructing a second one while the first is open fails. The connection is closed on
/// dispose, and at process exit as a safety net, because a process that exits with it open
/// can abort in the engine's static destructors.
/// <para>
/// Statements are serialized. Measured on chDB 26.5: concurrent calls on one connection do not
/// run in parallel (a connection executes one statement at a time; 12 CPU-bound SELECTs from 4
/// callers took as long as 12 in a row), and chdb_query_with_params binds parameters on the
/// connection, so a concurrent call can clear or replace another's parameters ("Substitution
/// `w` is not set", 10 of 160 parameterized SELECTs with 4 in flight) — a query could even run
/// with another caller's values. One permit also lets waiters wait asynchronously instead of
/// holding a thread inside a native call.
/// </para>
/// </summary>
public sealed partial class ChdbAnalyticsStore : IAnalyticsStore, IDisposable
{
    private static readonly Lock OpenLock = new();
    private static ChdbAnalyticsStore? open;

    private readonly ChdbNative native;
    private readonly nint connection;
    private readonly nint handle;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ILogger logger;
    private int disposed;

    /// <summary>Loads the library and opens the process's connection on <see cref="ChdbOptions.DataPath"/>.</summary>
    public ChdbAnalyticsStore(ChdbOptions options, ILogger<ChdbAnalyticsStore> logger)
    {
        this.logger = logger;
        DataPath = Path.GetFullPath(options.DataPath);

        lock (OpenLock)
        {
            if (open is not null)
                throw new InvalidOperationException(
                    $"A chDB connection is already open in this process (data path '{open.DataPath}'); share the singleton store.");

            native = ChdbNative.Load(options.LibraryPath);
            Directory.CreateDirectory(DataPath);
            connection = native.Connect([$"--path={DataPath}", .. options.Memory.ConnectArguments()]);
            if (connection == 0)
                throw new AnalyticsStoreException($"chdb_connect failed for data path '{DataPath}' (is another process using it?).");
            handle = ChdbNative.ReadHandle(connection);
            try
            {
                native.Query(handle, options.Memory.SessionSettings(), "TabSeparated", null);
            }
            catch
            {
                native.Close(connection);
                throw;
            }
            open = this;
        }

        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        logger.LogInformation("chDB connected: library {Library}, data {DataPath}", options.LibraryPath, DataPath);
    }

    /// <inheritdoc />
    public string Backend => "chdb";

    /// <summary>The engine's data folder.</summary>
    public string DataPath { get; }

    /// <inheritdoc />
    public async Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
        await RunAsync(sql, "TabSeparated", ChdbParameterFormatter.Format(parameters), ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(
        string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        var result = await RunAsync(sql, "JSONEachRow", ChdbParameterFormatter.Format(parameters), ReadOnlyMemory<byte>.Empty, cancellationToken);
        return JsonEachRow.Parse(result.Data);
    }

    /// <inheritdoc />
    public async Task<byte[]> QueryFormattedAsync(
        string sql, IReadOnlyDictionary<string, object?>? parameters, string format, CancellationToken cancellationToken) =>
        (await RunAsync(sql, AnalyticsNames.Format(format), ChdbParameterFormatter.Format(parameters), ReadOnlyMemory<byte>.Empty, cancellationToken)).Data;

    /// <inheritdoc />
    public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) =>
        InsertAsync(table, "JSONEachRow", rows, cancellationToken);

    /// <inheritdoc />
    public async Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await QueryRawAsync($"INSERT INTO {AnalyticsNames.Table(table)} FORMAT {AnalyticsNames.Format(format)}", format, null, data, cancellationToken);

    /// <summary>
    /// Runs one statement and returns its output in <paramref name="format"/> (the output format
    /// unless the SQL names one). <paramref name="parameters"/> are already in ClickHouse's
    /// parameter text form (as in the HTTP interface's <c>param_name</c>); <paramref name="data"/>,
    /// when given, follows the SQL after a newline, as an INSERT's inline data.
    /// </summary>
    public async Task<ChdbQueryResult> QueryRawAsync(
        string sql, string format, IReadOnlyList<KeyValuePair<string, string>>? parameters,
        ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (parameters is not null)
            foreach (var parameter in parameters) AnalyticsNames.Parameter(parameter.Key);
        AnalyticsNames.Format(format);
        // The data follows the SQL after a "\n", so a leading "\n" makes an empty line too.
        if (data.IsEmpty || (data.Span[0] != (byte)'\n' && data.Span.IndexOf("\n\n"u8) < 0))
            return await RunAsync(sql, format, parameters, data, cancellationToken);

        // chDB ends an INSERT's inline data at the first empty line ("\n\n"): the rest is dropped,
        // silently when the cut falls on a row boundary (measured on 26.5 with RowBinary, whose
        // bytes hold 0x0A 0x0A whenever a string does or two adjacent bytes of a number do).
        // Such data goes through a spool file and INSERT ... FROM INFILE instead.
        var insert = InlineInsert().Match(sql);
        if (!insert.Success)
            throw new AnalyticsStoreException("chDB cannot take inline data holding an empty line except for INSERT INTO <table> FORMAT <format>.");
        var spool = Path.Combine(DataPath, "insert-spool");
        Directory.CreateDirectory(spool);
        var path = Path.Combine(spool, Guid.NewGuid().ToString("N") + ".bin");
        await File.WriteAllBytesAsync(path, data, cancellationToken);
        try
        {
            var literal = "'" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
            var fromFile = $"INSERT INTO {insert.Groups["target"].Value} FROM INFILE {literal} FORMAT {insert.Groups["format"].Value}";
            return await RunAsync(fromFile, format, parameters, ReadOnlyMemory<byte>.Empty, cancellationToken);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task<ChdbQueryResult> RunAsync(
        string sql, string format, IReadOnlyList<KeyValuePair<string, string>>? parameters,
        ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var prefix = Encoding.UTF8.GetBytes(data.IsEmpty ? sql : sql + "\n");

        await gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            // A running chdb_query cannot be interrupted; cancellation only applies before it starts.
            cancellationToken.ThrowIfCancellationRequested();
            return native.Query(handle, prefix, prefix.Length, data.Span, format, parameters);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Waits for running statements, then closes the connection (chdb_close_conn).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;

        gate.Wait();
        try
        {
            native.Close(connection);
            logger.LogInformation("chDB connection closed ({DataPath})", DataPath);
        }
        finally
        {
            lock (OpenLock)
            {
                if (ReferenceEquals(open, this)) open = null;
            }

            // Waiters that were queued behind the close wake up and see the store disposed.
            gate.Release();
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    [GeneratedRegex(@"^\s*INSERT\s+INTO\s+(?<target>.+?)\s+FORMAT\s+(?<format>[A-Za-z0-9]+)\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex InlineInsert();
}
