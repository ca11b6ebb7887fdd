using System.Runtime.InteropServices;
using System.Text;

namespace HoneyHive.Platform.Analytics.Chdb;

/// <summary>
/// The few entry points of chDB's C API (chdb.h) that the store uses, bound by function pointer
/// from a library loaded by path. Function pointers rather than [DllImport] with a resolver:
/// an assembly may hold only one DllImport resolver, and the library path is configuration.
/// </summary>
internal sealed unsafe class ChdbNative
{
    private static readonly Lock LoadLock = new();
    private static readonly Dictionary<string, ChdbNative> Loaded = new(StringComparer.Ordinal);

    // chdb_connection * chdb_connect(int argc, char ** argv)
    private readonly delegate* unmanaged<int, byte**, nint> connect;
    // void chdb_close_conn(chdb_connection * conn)
    private readonly delegate* unmanaged<nint, void> closeConn;
    // chdb_result * chdb_query_n(chdb_connection conn, const char * query, size_t query_len, const char * format, size_t format_len)
    private readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nint> queryN;
    // chdb_result * chdb_query_with_params_n(conn, query, query_len, format, format_len,
    //     const char * const * param_names, const size_t * param_name_lens,
    //     const char * const * param_values, const size_t * param_value_lens, size_t param_count)
    private readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, byte**, nuint*, byte**, nuint*, nuint, nint> queryWithParamsN;
    // char * chdb_result_buffer(chdb_result *), size_t chdb_result_length(chdb_result *)
    private readonly delegate* unmanaged<nint, byte*> resultBuffer;
    private readonly delegate* unmanaged<nint, nuint> resultLength;
    // const char * chdb_result_error(chdb_result *): NULL when the query succeeded
    private readonly delegate* unmanaged<nint, byte*> resultError;
    // uint64_t chdb_result_rows_read / bytes_read (chdb_result *), double chdb_result_elapsed(chdb_result *)
    private readonly delegate* unmanaged<nint, ulong> resultRowsRead;
    private readonly delegate* unmanaged<nint, ulong> resultBytesRead;
    private readonly delegate* unmanaged<nint, double> resultElapsed;
    // void chdb_destroy_query_result(chdb_result *)
    private readonly delegate* unmanaged<nint, void> destroyQueryResult;

    private ChdbNative(nint library)
    {
        connect = (delegate* unmanaged<int, byte**, nint>)Export(library, "chdb_connect");
        closeConn = (delegate* unmanaged<nint, void>)Export(library, "chdb_close_conn");
        queryN = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nint>)Export(library, "chdb_query_n");
        queryWithParamsN = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, byte**, nuint*, byte**, nuint*, nuint, nint>)
            Export(library, "chdb_query_with_params_n");
        resultBuffer = (delegate* unmanaged<nint, byte*>)Export(library, "chdb_result_buffer");
        resultLength = (delegate* unmanaged<nint, nuint>)Export(library, "chdb_result_length");
        resultError = (delegate* unmanaged<nint, byte*>)Export(library, "chdb_result_error");
        resultRowsRead = (delegate* unmanaged<nint, ulong>)Export(library, "chdb_result_rows_read");
        resultBytesRead = (delegate* unmanaged<nint, ulong>)Export(library, "chdb_result_bytes_read");
        resultElapsed = (delegate* unmanaged<nint, double>)Export(library, "chdb_result_elapsed");
        destroyQueryResult = (delegate* unmanaged<nint, void>)Export(library, "chdb_destroy_query_result");
    }

    /// <summary>Loads libchdb.so once per path; the library is never unloaded (the engine keeps threads).</summary>
    public static ChdbNative Load(string libraryPath)
    {
        var fullPath = Path.GetFullPath(libraryPath);
        lock (LoadLock)
        {
            if (Loaded.TryGetValue(fullPath, out var native)) return native;
            if (!File.Exists(fullPath))
                throw new FileNotFoundException($"chDB library not found at '{fullPath}' (ClickHouse:ChdbLibrary).", fullPath);
            native = new ChdbNative(NativeLibrary.Load(fullPath));
            Loaded[fullPath] = native;
            return native;
        }
    }

    private static nint Export(nint library, string name) => NativeLibrary.GetExport(library, name);

    /// <summary>
    /// Opens a connection. Returns the <c>chdb_connection*</c> that chdb_close_conn takes; the
    /// handle the query functions take is the pointer stored there (see <see cref="ReadHandle"/>).
    /// </summary>
    public nint Connect(IReadOnlyList<string> arguments)
    {
        var argv = new List<string>(arguments.Count + 1) { "clickhouse" };
        argv.AddRange(arguments);
        var pointers = new nint[argv.Count];
        try
        {
            for (var i = 0; i < argv.Count; i++) pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            var signals = SignalDispositions.Capture();
            nint connection;
            fixed (nint* p = pointers)
            {
                connection = connect(argv.Count, (byte**)p);
            }

            SignalDispositions.RestoreChanged(signals);
            return connection;
        }
        finally
        {
            foreach (var pointer in pointers)
                if (pointer != 0) Marshal.FreeCoTaskMem(pointer);
        }
    }

    public static nint ReadHandle(nint connection) => Marshal.ReadIntPtr(connection);

    public void Close(nint connection) => closeConn(connection);

    /// <summary>Runs one statement and copies its output before freeing the native result.</summary>
    public ChdbQueryResult Query(nint handle, string sql, string format, IReadOnlyList<KeyValuePair<string, string>>? parameters)
    {
        var sqlBytes = Encoding.UTF8.GetBytes(sql);
        return Query(handle, sqlBytes, sqlBytes.Length, ReadOnlySpan<byte>.Empty, format, parameters);
    }

    /// <summary>Runs <paramref name="sqlPrefix"/> followed by <paramref name="data"/> as one binary-safe statement text.</summary>
    public ChdbQueryResult Query(
        nint handle, byte[] sqlPrefix, int prefixLength, ReadOnlySpan<byte> data, string format,
        IReadOnlyList<KeyValuePair<string, string>>? parameters)
    {
        byte[] text;
        int textLength;
        if (data.IsEmpty)
        {
            text = sqlPrefix;
            textLength = prefixLength;
        }
        else
        {
            textLength = prefixLength + data.Length;
            text = new byte[textLength];
            sqlPrefix.AsSpan(0, prefixLength).CopyTo(text);
            data.CopyTo(text.AsSpan(prefixLength));
        }

        var formatBytes = Encoding.UTF8.GetBytes(format);
        nint result;
        fixed (byte* sqlPointer = text)
        fixed (byte* formatPointer = formatBytes)
        {
            result = parameters is { Count: > 0 }
                ? QueryWithParameters(handle, sqlPointer, textLength, formatPointer, formatBytes.Length, parameters)
                : queryN(handle, sqlPointer, (nuint)textLength, formatPointer, (nuint)formatBytes.Length);
        }

        if (result == 0) throw new AnalyticsStoreException("chDB returned no result (is the connection closed?).");
        try
        {
            var error = resultError(result);
            if (error != null)
            {
                var message = Marshal.PtrToStringUTF8((nint)error) ?? "chDB query failed.";
                throw new AnalyticsStoreException(message.Trim(), ClickHouseErrors.ParseCode(message));
            }

            // A statement without output (DDL, INSERT, a SELECT with no rows) has a null buffer.
            var buffer = resultBuffer(result);
            var length = checked((int)resultLength(result));
            var bytes = buffer == null || length == 0 ? [] : new ReadOnlySpan<byte>(buffer, length).ToArray();
            return new ChdbQueryResult(bytes, resultRowsRead(result), resultBytesRead(result), resultElapsed(result));
        }
        finally
        {
            destroyQueryResult(result);
        }
    }

    private nint QueryWithParameters(
        nint handle, byte* sql, int sqlLength, byte* format, int formatLength,
        IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        // All names and values go into one pinned buffer; the pointer arrays point into it.
        var count = parameters.Count;
        var names = new byte[count][];
        var values = new byte[count][];
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            names[i] = Encoding.UTF8.GetBytes(parameters[i].Key);
            values[i] = Encoding.UTF8.GetBytes(parameters[i].Value);
            total += names[i].Length + values[i].Length;
        }

        var buffer = new byte[Math.Max(total, 1)];
        var namePointers = new nint[count];
        var valuePointers = new nint[count];
        var nameLengths = new nuint[count];
        var valueLengths = new nuint[count];
        fixed (byte* start = buffer)
        {
            var offset = 0;
            for (var i = 0; i < count; i++)
            {
                names[i].CopyTo(buffer, offset);
                namePointers[i] = (nint)(start + offset);
                nameLengths[i] = (nuint)names[i].Length;
                offset += names[i].Length;
                values[i].CopyTo(buffer, offset);
                valuePointers[i] = (nint)(start + offset);
                valueLengths[i] = (nuint)values[i].Length;
                offset += values[i].Length;
            }

            fixed (nint* namesPointer = namePointers)
            fixed (nint* valuesPointer = valuePointers)
            fixed (nuint* nameLengthsPointer = nameLengths)
            fixed (nuint* valueLengthsPointer = valueLengths)
            {
                return queryWithParamsN(
                    handle, sql, (nuint)sqlLength, format, (nuint)formatLength,
                    (byte**)namesPointer, nameLengthsPointer, (byte**)valuesPointer, valueLengthsPointer, (nuint)count);
            }
        }
    }
}

/// <summary>The output of one chDB statement, copied out of native memory.</summary>
/// <param name="Data">The formatted output; empty when the statement returned nothing.</param>
/// <param name="RowsRead">Rows in the result (chdb_result_rows_read).</param>
/// <param name="BytesRead">Bytes of the result in ClickHouse's internal form (chdb_result_bytes_read).</param>
/// <param name="ElapsedSeconds">Engine time (chdb_result_elapsed).</param>
public sealed record ChdbQueryResult(byte[] Data, ulong RowsRead, ulong BytesRead, double ElapsedSeconds);
