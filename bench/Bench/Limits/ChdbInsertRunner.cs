using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HoneyHive.Platform.Analytics;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Limits;

/// <summary>One measured way of inserting wide event rows.</summary>
/// <param name="Format">ClickHouse input format.</param>
/// <param name="Target">Table written: the bench copy of <c>events</c>, or <c>events</c> itself with its materialized views.</param>
/// <param name="Rows">Rows inserted in the timed batches.</param>
/// <param name="Bytes">Encoded bytes sent in the timed batches.</param>
/// <param name="Seconds">Wall time of the timed batches (encoding excluded).</param>
/// <param name="BatchesWithEmptyLine">Timed batches holding "\n\n", which chDB takes through a spool file
/// (INSERT ... FROM INFILE) rather than inline; nearly every large RowBinary batch does.</param>
public sealed record ChdbInsertFigures(string Format, string Target, int Rows, long Bytes, double Seconds, int BatchesWithEmptyLine)
{
    public double RowsPerSecond => Rows / Seconds;
    public double MegabytesPerSecond => Bytes / Seconds / 1_000_000;
    public double BytesPerRow => (double)Bytes / Rows;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Format,-12} {Target,-22} {Rows,8} rows {BytesPerRow,7:F0} B/row {RowsPerSecond,10:F0} rows/s {MegabytesPerSecond,7:F1} MB/s, {BatchesWithEmptyLine} batches spooled");
}

/// <summary>
/// How fast the analytics store takes ~1 KB wide event rows: JSONEachRow (what the writer sends
/// today) against RowBinaryWithNamesAndTypes, in batches, into a copy of the <c>events</c> table (same engine and
/// columns, typed ones included; no materialized views) and, optionally, into <c>events</c> itself so the views' cost shows.
/// Each format gets one untimed warm-up batch first; the first batch into a fresh engine runs at
/// about half speed.
/// </summary>
public static class ChdbInsertRunner
{
    private const string BenchTable = "bench_insert_events";

    /// <summary>A second copy of <c>events</c> for the binary rows: the same rows in one ReplacingMergeTree would merge away.</summary>
    private const string BinaryBenchTable = "bench_insert_events_binary";

    /// <summary>
    /// RowBinaryWithNamesAndTypes names the columns the Writer supplies (0001's, without inserted_at), so ClickHouse
    /// still computes the omitted ones, 0006's typed columns among them, from their DEFAULT expressions, as it does
    /// for JSONEachRow: both formats go into the same table, a copy of <c>events</c> with its typed columns.
    /// </summary>
    public const string RowBinaryFormat = "RowBinaryWithNamesAndTypes";

    /// <param name="store">A store whose schema may be migrated (the bench applies the migrations).</param>
    /// <param name="rowsPerBatch">Rows per INSERT statement.</param>
    /// <param name="batches">Timed batches per format.</param>
    /// <param name="throughMaterializedViews">Also insert both formats into <c>events</c> itself. The rows stay
    /// there under a <c>bench-*</c> project id; use a throw-away data folder.</param>
    public static async Task<IReadOnlyList<ChdbInsertFigures>> RunAsync(
        IAnalyticsStore store, int rowsPerBatch = 10_000, int batches = 5, bool throughMaterializedViews = false,
        CancellationToken cancellationToken = default)
    {
        await new ClickHouseMigrator(store, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(cancellationToken);
        foreach (var table in new[] { BenchTable, BinaryBenchTable })
        {
            await store.ExecuteAsync($"DROP TABLE IF EXISTS {table}", null, cancellationToken);
            await store.ExecuteAsync($"CREATE TABLE {table} AS events", null, cancellationToken);
        }

        var project = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var encoded = Enumerable.Range(0, batches + 1)
            .Select(b => BenchEvent.Batch(project, b, rowsPerBatch))
            .Select(rows => (Json: BenchEvent.JsonEachRow(rows), RowBinary: BenchEvent.RowBinary(rows)))
            .ToList();
        var json = encoded.Select(e => e.Json).ToList();
        var binary = encoded.Select(e => e.RowBinary).ToList();

        var figures = new List<ChdbInsertFigures>
        {
            await MeasureAsync(store, BenchTable, "JSONEachRow", json, rowsPerBatch, cancellationToken),
            await MeasureAsync(store, BinaryBenchTable, RowBinaryFormat, binary, rowsPerBatch, cancellationToken),
        };
        if (throughMaterializedViews)
        {
            figures.Add(await MeasureAsync(store, "events", "JSONEachRow", json, rowsPerBatch, cancellationToken));
            figures.Add(await MeasureAsync(store, "events", RowBinaryFormat, binary, rowsPerBatch, cancellationToken));
        }

        // Both formats must have stored every row, typed columns computed: otherwise the race is not fair.
        foreach (var table in new[] { BenchTable, BinaryBenchTable })
        {
            var check = (await store.QueryAsync(
                $"SELECT toString(count()) AS n, toString(countIf(model != 'gpt-4o-mini' OR total_tokens != 170 OR isNull(prompt_tokens))) AS bad FROM {table}",
                null, cancellationToken))[0];
            var expected = (rowsPerBatch * (batches + 1)).ToString(CultureInfo.InvariantCulture);
            if (check.GetProperty("n").GetString() != expected || check.GetProperty("bad").GetString() != "0")
                throw new InvalidOperationException($"{table} holds other rows than were inserted ({expected} with typed columns): {check}");
            await store.ExecuteAsync($"DROP TABLE IF EXISTS {table}", null, cancellationToken);
        }

        return figures;
    }

    private static async Task<ChdbInsertFigures> MeasureAsync(
        IAnalyticsStore store, string table, string format, IReadOnlyList<byte[]> batches, int rowsPerBatch, CancellationToken cancellationToken)
    {
        await store.InsertAsync(table, format, batches[0], cancellationToken); // warm-up, not timed
        long bytes = 0;
        var spooled = batches.Skip(1).Count(b => b.AsSpan().IndexOf("\n\n"u8) >= 0);
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches.Skip(1))
        {
            await store.InsertAsync(table, format, batch, cancellationToken);
            bytes += batch.Length;
        }

        clock.Stop();
        return new ChdbInsertFigures(format, table == "events" ? "events (+3 views)" : "copy of events", rowsPerBatch * (batches.Count - 1), bytes, clock.Elapsed.TotalSeconds, spooled);
    }

    /// <summary>A wide event like the writer produces: a model call with a chat prompt and answer, about 1 KB.</summary>
    private sealed record BenchEvent(
        string EventId, string ProjectId, string SessionId, string ParentId, string EventType, string EventName,
        DateTime Start, double DurationMs, string? Error, Dictionary<string, string> Inputs, Dictionary<string, string> Outputs,
        Dictionary<string, string> Config, Dictionary<string, string> Metadata, Dictionary<string, string> Metrics)
    {
        private static readonly DateTime Epoch = DateTime.UnixEpoch;

        public static List<BenchEvent> Batch(string project, int batch, int count)
        {
            var random = new Random(batch);
            var start = new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc).AddSeconds(batch * 3600);
            var rows = new List<BenchEvent>(count);
            for (var i = 0; i < count; i++)
            {
                var session = $"s-{batch}-{i / 20}";
                var prompt = new string((char)('a' + random.Next(26)), 120 + random.Next(40));
                var answer = new string((char)('a' + random.Next(26)), 80 + random.Next(40));
                rows.Add(new BenchEvent(
                    Guid.NewGuid().ToString(), project, session, session, "model", "openai.chat.completions",
                    start.AddMilliseconds(i * 3.7), 412.5 + random.Next(1000), i % 50 == 0 ? "rate limited" : null,
                    new() { ["chat_history"] = JsonSerializer.Serialize(new[] { new { role = "user", content = prompt } }) },
                    new() { ["role"] = "\"assistant\"", ["content"] = JsonSerializer.Serialize(answer) },
                    new() { ["model"] = "\"gpt-4o-mini\"", ["temperature"] = "0.2", ["provider"] = "\"openai\"" },
                    new()
                    {
                        ["prompt_tokens"] = (90 + random.Next(40)).ToString(CultureInfo.InvariantCulture),
                        ["completion_tokens"] = (60 + random.Next(40)).ToString(CultureInfo.InvariantCulture),
                        ["total_tokens"] = "170", ["cost"] = "0.00042", ["sdk"] = "\"honeyhive-ts 1.0.42\"",
                    },
                    new() { ["latency_ok"] = "true" }));
            }

            return rows;
        }

        public static byte[] JsonEachRow(List<BenchEvent> rows)
        {
            using var buffer = new MemoryStream();
            foreach (var row in rows)
            {
                JsonSerializer.Serialize(buffer, new Dictionary<string, object?>
                {
                    ["event_id"] = row.EventId, ["project_id"] = row.ProjectId, ["org_id"] = "org-bench", ["workspace_id"] = "ws-bench",
                    ["session_id"] = row.SessionId, ["parent_id"] = row.ParentId, ["children_ids"] = Array.Empty<string>(),
                    ["event_type"] = row.EventType, ["event_name"] = row.EventName, ["source"] = "bench",
                    ["start_time"] = Text(row.Start), ["end_time"] = Text(row.Start.AddMilliseconds(row.DurationMs)),
                    ["duration"] = row.DurationMs, ["error"] = row.Error,
                    ["inputs"] = row.Inputs, ["outputs"] = row.Outputs, ["config"] = row.Config, ["metadata"] = row.Metadata,
                    ["metrics"] = row.Metrics, ["feedback"] = new Dictionary<string, string>(), ["user_properties"] = new Dictionary<string, string>(),
                    ["version"] = 1UL, ["is_deleted"] = 0,
                });
                buffer.WriteByte((byte)'\n');
            }

            return buffer.ToArray();
        }

        /// <summary>The columns the Writer supplies, with their types in <c>events</c> (0001_events.sql), in RowBinary's order.</summary>
        private static readonly (string Name, string Type)[] Columns =
        [
            ("event_id", "String"), ("project_id", "LowCardinality(String)"), ("org_id", "LowCardinality(String)"),
            ("workspace_id", "LowCardinality(String)"), ("session_id", "String"), ("parent_id", "String"), ("children_ids", "Array(String)"),
            ("event_type", "LowCardinality(String)"), ("event_name", "LowCardinality(String)"), ("source", "LowCardinality(String)"),
            ("start_time", "DateTime64(6, 'UTC')"), ("end_time", "DateTime64(6, 'UTC')"), ("duration", "Float64"), ("error", "Nullable(String)"),
            ("inputs", "Map(LowCardinality(String), String)"), ("outputs", "Map(LowCardinality(String), String)"),
            ("config", "Map(LowCardinality(String), String)"), ("metadata", "Map(LowCardinality(String), String)"),
            ("metrics", "Map(LowCardinality(String), String)"), ("feedback", "Map(LowCardinality(String), String)"),
            ("user_properties", "Map(LowCardinality(String), String)"), ("version", "UInt64"), ("is_deleted", "UInt8"),
        ];

        /// <summary>RowBinaryWithNamesAndTypes: the header names <see cref="Columns"/>; the rest (inserted_at, 0006's typed columns) get their defaults.</summary>
        public static byte[] RowBinary(List<BenchEvent> rows)
        {
            using var buffer = new MemoryStream();
            using var writer = new BinaryWriter(buffer, Encoding.UTF8);
            var empty = new Dictionary<string, string>();
            writer.Write7BitEncodedInt(Columns.Length);
            foreach (var (name, _) in Columns) String(writer, name);
            foreach (var (_, type) in Columns) String(writer, type);
            foreach (var row in rows)
            {
                String(writer, row.EventId);
                String(writer, row.ProjectId);
                String(writer, "org-bench");
                String(writer, "ws-bench");
                String(writer, row.SessionId);
                String(writer, row.ParentId);
                writer.Write7BitEncodedInt(0); // children_ids
                String(writer, row.EventType);
                String(writer, row.EventName);
                String(writer, "bench");
                writer.Write(Micros(row.Start));
                writer.Write(Micros(row.Start.AddMilliseconds(row.DurationMs)));
                writer.Write(row.DurationMs);
                writer.Write((byte)(row.Error is null ? 1 : 0)); // Nullable: 1 = NULL
                if (row.Error is not null) String(writer, row.Error);
                Map(writer, row.Inputs);
                Map(writer, row.Outputs);
                Map(writer, row.Config);
                Map(writer, row.Metadata);
                Map(writer, row.Metrics);
                Map(writer, empty); // feedback
                Map(writer, empty); // user_properties
                writer.Write(1UL); // version
                writer.Write((byte)0); // is_deleted
            }

            writer.Flush();
            return buffer.ToArray();
        }

        private static long Micros(DateTime time) => (time - Epoch).Ticks / 10;

        private static string Text(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

        // ClickHouse's VarUInt is LEB128, which is what Write7BitEncodedInt writes for non-negative values.
        private static void String(BinaryWriter writer, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            writer.Write7BitEncodedInt(bytes.Length);
            writer.Write(bytes);
        }

        private static void Map(BinaryWriter writer, Dictionary<string, string> map)
        {
            writer.Write7BitEncodedInt(map.Count);
            foreach (var (key, value) in map)
            {
                String(writer, key);
                String(writer, value);
            }
        }
    }
}
