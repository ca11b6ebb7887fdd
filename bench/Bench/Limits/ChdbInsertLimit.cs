using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Limits;

/// <summary>
/// chDB insert ceiling for ~1 KB wide event rows into a ReplacingMergeTree, JSONEachRow against
/// RowBinary, batches interleaved so both formats see the same background merges.
/// Calls libchdb directly (placeholder until the Platform's ChdbAnalyticsStore can be used here;
/// the lead may switch <see cref="ChdbSession"/> for it at merge time).
/// </summary>
public sealed class ChdbInsertLimit : ILimit
{
    public const string InsertNamePrefix = "chdb.insert.";

    private const int BatchRows = 20_000;
    private const int MaxRounds = 12;
    private static readonly TimeSpan MeasurePerFormat = TimeSpan.FromSeconds(3);

    public string Name => "chdb insert";

    public IReadOnlyList<string> RequiredEnvironment => [BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable];

    public Task<IReadOnlyList<Measurement>> MeasureAsync(CancellationToken ct)
    {
        // One process owns a chDB data folder at a time: every run gets a fresh one.
        var dataDirectory = Path.Combine(BenchEnvironment.DataDirectory, $"bench-chdb-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dataDirectory);
        // Binary batches are handed over as files; in RAM where there is a tmpfs, so no disk write is measured.
        var stagingFile = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : dataDirectory, $"hh-bench-{Guid.NewGuid():N}.rowbinary");
        try
        {
            using var chdb = ChdbSession.Open(BenchEnvironment.ChdbLibrary, dataDirectory);
            return Task.FromResult(Measure(chdb, stagingFile, ct));
        }
        finally
        {
            File.Delete(stagingFile);
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static IReadOnlyList<Measurement> Measure(ChdbSession chdb, string stagingFile, CancellationToken ct)
    {
        FormatRun[] formats =
        [
            // Inline after the statement: what a Writer posting text rows does.
            new("JSONEachRow", "bench_events_json", "inline statement",
                rows => JsonEachRowEncoder.Encode(rows, "INSERT INTO bench_events_json FORMAT JSONEachRow\n"),
                chdb.Execute),
            // Binary data cannot ride inline: the client ends inline INSERT data at the first blank
            // line ("\n\n"), which binary values contain. FROM INFILE streams it from a RAM file instead.
            new("RowBinary", "bench_events_rowbinary", "FROM INFILE in tmpfs, file write included",
                RowBinaryEncoder.Encode,
                data =>
                {
                    File.WriteAllBytes(stagingFile, data);
                    chdb.Query($"INSERT INTO bench_events_rowbinary FROM INFILE '{stagingFile}' FORMAT RowBinary");
                }),
        ];
        foreach (var format in formats)
        {
            chdb.Query(WideEventRows.CreateTableSql(format.Table));
        }

        var generator = new WideEventRows(seed: 7);
        var warmUp = generator.Next(BatchRows);
        foreach (var format in formats)
        {
            format.Insert(format.Encode(warmUp));
        }

        var rounds = 0;
        while (rounds < MaxRounds && formats.Any(f => f.InsertTime < MeasurePerFormat))
        {
            ct.ThrowIfCancellationRequested();
            var rows = generator.Next(BatchRows);
            foreach (var format in formats)
            {
                var sw = Stopwatch.StartNew();
                var data = format.Encode(rows);
                format.EncodeTime += sw.Elapsed;

                sw.Restart();
                format.Insert(data);
                format.InsertTime += sw.Elapsed;
                format.Rows += rows.Length;
                format.Bytes += data.Length;
            }

            rounds++;
        }

        var results = new List<Measurement>();
        foreach (var format in formats)
        {
            // A silently dropped insert would make any rate meaningless.
            var stored = long.Parse(chdb.Query($"SELECT count() FROM {format.Table}").Trim(), CultureInfo.InvariantCulture);
            if (stored != format.Rows + warmUp.Length)
            {
                throw new InvalidOperationException($"{format.Table} holds {stored} rows, expected {format.Rows + warmUp.Length}.");
            }

            var name = InsertNamePrefix + format.Name;
            results.Add(new Measurement(name, "rows/s", Rates.PerSecond(format.Rows, format.InsertTime),
                $"{format.Rows:N0} rows, {BatchRows:N0}/batch, {format.Bytes / (double)format.Rows:N0} B/row, {format.How}"));
            results.Add(new Measurement(name, "MB/s", Rates.MegabytesPerSecond(format.Bytes, format.InsertTime), "encoded bytes"));
            results.Add(new Measurement("chdb.encode." + format.Name, "rows/s", Rates.PerSecond(format.Rows, format.EncodeTime), "client-side encoding only"));
        }

        // No DROP: `DROP TABLE ... SYNC` never returns through libchdb 26.5 (it waits on a table
        // reference the session keeps); the whole data folder is deleted after the connection closes.
        return results;
    }

    private sealed class FormatRun(string name, string table, string how, Func<IReadOnlyList<WideEvent>, byte[]> encode, Action<byte[]> insert)
    {
        public string Name { get; } = name;

        public string Table { get; } = table;

        public string How { get; } = how;

        public Func<IReadOnlyList<WideEvent>, byte[]> Encode { get; } = encode;

        public Action<byte[]> Insert { get; } = insert;

        public TimeSpan EncodeTime { get; set; }

        public TimeSpan InsertTime { get; set; }

        public long Rows { get; set; }

        public long Bytes { get; set; }
    }
}

/// <summary>A chDB connection over libchdb's C API (chdb_connect / chdb_query_n / chdb_close_conn).</summary>
internal sealed class ChdbSession : IDisposable
{
    private readonly IntPtr _connectionHandle;
    private readonly IntPtr _connection;

    private ChdbSession(IntPtr connectionHandle)
    {
        _connectionHandle = connectionHandle;
        // chdb_connect returns chdb_connection*; the queries take the chdb_connection it points to.
        _connection = Marshal.ReadIntPtr(connectionHandle);
    }

    public static ChdbSession Open(string libraryPath, string dataDirectory)
    {
        ChdbNative.UseLibrary(libraryPath);
        string[] argv = ["clickhouse", $"--path={dataDirectory}"];
        var handle = ChdbNative.chdb_connect(argv.Length, argv);
        if (handle == IntPtr.Zero || Marshal.ReadIntPtr(handle) == IntPtr.Zero)
        {
            throw new InvalidOperationException($"chdb_connect failed for data folder {dataDirectory} (library {libraryPath}).");
        }

        return new ChdbSession(handle);
    }

    /// <summary>Runs a text query and returns its output in the given format.</summary>
    public string Query(string sql, string format = "TabSeparated")
    {
        var output = Run(Encoding.UTF8.GetBytes(sql), format);
        return output is null ? "" : Encoding.UTF8.GetString(output);
    }

    /// <summary>Runs a statement given as UTF-8 bytes (e.g. a large inline JSONEachRow INSERT) without a string copy.</summary>
    public void Execute(byte[] statement) => Run(statement, "TabSeparated");

    private byte[]? Run(byte[] statement, string format)
    {
        var formatBytes = Encoding.UTF8.GetBytes(format);
        var result = ChdbNative.chdb_query_n(_connection, statement, (nuint)statement.Length, formatBytes, (nuint)formatBytes.Length);
        if (result == IntPtr.Zero)
        {
            throw new InvalidOperationException("chdb_query_n returned no result.");
        }

        try
        {
            var error = ChdbNative.chdb_result_error(result);
            if (error != IntPtr.Zero)
            {
                var text = Marshal.PtrToStringUTF8(error);
                if (!string.IsNullOrEmpty(text))
                {
                    throw new InvalidOperationException($"chDB: {text}");
                }
            }

            // A result with no rows has a null buffer.
            var buffer = ChdbNative.chdb_result_buffer(result);
            var length = (int)ChdbNative.chdb_result_length(result);
            if (buffer == IntPtr.Zero || length == 0)
            {
                return null;
            }

            var bytes = new byte[length];
            Marshal.Copy(buffer, bytes, 0, length);
            return bytes;
        }
        finally
        {
            ChdbNative.chdb_destroy_query_result(result);
        }
    }

    // Closing matters: a process that exits with the connection open has aborted in chDB's teardown.
    public void Dispose() => ChdbNative.chdb_close_conn(_connectionHandle);
}

internal static class ChdbNative
{
    private const string Library = "chdb";
    private static string? s_libraryPath;

    /// <summary>Resolves "chdb" to the configured file; the path comes from the environment, not the loader's search.</summary>
    public static void UseLibrary(string path)
    {
        if (Interlocked.CompareExchange(ref s_libraryPath, path, null) is null)
        {
            NativeLibrary.SetDllImportResolver(Assembly.GetExecutingAssembly(), (name, _, _) =>
                name == Library ? NativeLibrary.Load(s_libraryPath!) : IntPtr.Zero);
        }
    }

    // LPStr is UTF-8 on Linux, the only platform libchdb ships for here.
    [DllImport(Library)]
    public static extern IntPtr chdb_connect(int argc, [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string[] argv);

    [DllImport(Library)]
    public static extern void chdb_close_conn(IntPtr connectionHandle);

    [DllImport(Library)]
    public static extern IntPtr chdb_query_n(IntPtr connection, byte[] query, nuint queryLength, byte[] format, nuint formatLength);

    [DllImport(Library)]
    public static extern IntPtr chdb_result_buffer(IntPtr result);

    [DllImport(Library)]
    public static extern nuint chdb_result_length(IntPtr result);

    [DllImport(Library)]
    public static extern IntPtr chdb_result_error(IntPtr result);

    [DllImport(Library)]
    public static extern void chdb_destroy_query_result(IntPtr result);
}
