using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace HoneyHive.Bench.Limits;

/// <summary>One wide event row as the Writer stores it (about 1 KB): ids, times, JSON buckets, metadata.</summary>
public sealed record WideEvent(
    string EventId,
    string ProjectId,
    string SessionId,
    string ParentId,
    string EventType,
    string EventName,
    string Source,
    DateTime StartTime,
    DateTime EndTime,
    double DurationMs,
    string Error,
    string Inputs,
    string Outputs,
    string Config,
    KeyValuePair<string, string>[] Metadata,
    KeyValuePair<string, double>[] Metrics,
    ulong Version);

/// <summary>The bench table and deterministic realistic rows for it.</summary>
public sealed class WideEventRows(int seed)
{
    // Column order is the RowBinary order below; keep them together.
    public static string CreateTableSql(string table) => $"""
        CREATE TABLE {table}
        (
            event_id String,
            project_id LowCardinality(String),
            session_id String,
            parent_id String,
            event_type LowCardinality(String),
            event_name LowCardinality(String),
            source LowCardinality(String),
            start_time DateTime64(6, 'UTC'),
            end_time DateTime64(6, 'UTC'),
            duration Float64,
            error String,
            inputs String,
            outputs String,
            config String,
            metadata Map(LowCardinality(String), String),
            metrics Map(LowCardinality(String), Float64),
            version UInt64
        )
        ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(start_time)
        ORDER BY (project_id, event_type, start_time, event_id)
        """;

    private static readonly string[] Projects = ["proj-support", "proj-search", "proj-agents"];
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4", "llama-3.1-70b-instruct"];
    private static readonly string[] UserTurns =
    [
        "Summarize the customer's last three support tickets and suggest the next best action for the account team.",
        "Given the retrieved policy documents, can an employee carry over unused vacation days into the next year?",
        "Draft a polite reply declining the meeting request and proposing two alternative slots next week.",
        "Explain why the nightly ETL job failed, using the log excerpt below, and propose a fix.",
    ];
    private static readonly string[] AssistantTurns =
    [
        "Based on the tickets, the customer is blocked on SSO configuration; schedule a call with an integration engineer and share the SAML setup guide.",
        "Yes. Up to five unused days may be carried over, provided they are used before the end of March; the rest expire.",
        "Thank you for the invitation. Unfortunately I cannot attend; would Tuesday at 10:00 or Thursday at 15:00 work instead?",
        "The job failed because the upstream table was locked by a long-running migration; retry with a lock timeout and alerting.",
    ];

    private readonly Random _random = new(seed);
    private readonly DateTime _origin = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    public WideEvent[] Next(int count)
    {
        var rows = new WideEvent[count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = NextRow();
        }

        return rows;
    }

    private WideEvent NextRow()
    {
        var model = Models[_random.Next(Models.Length)];
        var promptTokens = _random.Next(200, 4000);
        var completionTokens = _random.Next(20, 800);
        var start = _origin.AddTicks((long)(_random.NextDouble() * TimeSpan.FromDays(25).Ticks));
        var durationMs = _random.Next(150, 9000) + _random.NextDouble();
        var inputs = JsonSerializer.Serialize(new
        {
            chat_history = new[]
            {
                new { role = "system", content = "You are a concise, helpful assistant for the customer success team. Cite sources." },
                new { role = "user", content = UserTurns[_random.Next(UserTurns.Length)] },
            },
        });
        var outputs = JsonSerializer.Serialize(new { role = "assistant", content = AssistantTurns[_random.Next(AssistantTurns.Length)] });
        var config = JsonSerializer.Serialize(new { provider = "openai", model, temperature = 0.2, max_tokens = 1024 });

        return new WideEvent(
            EventId: Guid.NewGuid().ToString(),
            ProjectId: Projects[_random.Next(Projects.Length)],
            SessionId: Guid.NewGuid().ToString(),
            ParentId: Guid.NewGuid().ToString(),
            EventType: "model",
            EventName: $"chat {model}",
            Source: "production",
            StartTime: start,
            EndTime: start.AddMilliseconds(durationMs),
            DurationMs: durationMs,
            Error: "",
            Inputs: inputs,
            Outputs: outputs,
            Config: config,
            Metadata:
            [
                new("prompt_tokens", promptTokens.ToString(CultureInfo.InvariantCulture)),
                new("completion_tokens", completionTokens.ToString(CultureInfo.InvariantCulture)),
                new("total_tokens", (promptTokens + completionTokens).ToString(CultureInfo.InvariantCulture)),
                new("model", model),
                new("sdk", "honeyhive-python 1.0.42"),
            ],
            Metrics: [new("cost", (promptTokens * 0.15 + completionTokens * 0.6) / 1_000_000), new("latency_ms", durationMs)],
            Version: (ulong)start.Ticks);
    }
}

/// <summary>JSONEachRow rows, optionally after a statement prefix (`INSERT ... FORMAT JSONEachRow\n`).</summary>
public static class JsonEachRowEncoder
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Encode(IReadOnlyList<WideEvent> rows, string prefix = "")
    {
        var buffer = new ArrayBufferWriter<byte>(rows.Count * 1400);
        buffer.Write(Encoding.UTF8.GetBytes(prefix));
        using var json = new Utf8JsonWriter(buffer, Options);
        foreach (var row in rows)
        {
            json.Reset(buffer);
            json.WriteStartObject();
            json.WriteString("event_id", row.EventId);
            json.WriteString("project_id", row.ProjectId);
            json.WriteString("session_id", row.SessionId);
            json.WriteString("parent_id", row.ParentId);
            json.WriteString("event_type", row.EventType);
            json.WriteString("event_name", row.EventName);
            json.WriteString("source", row.Source);
            json.WriteString("start_time", row.StartTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
            json.WriteString("end_time", row.EndTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
            json.WriteNumber("duration", row.DurationMs);
            json.WriteString("error", row.Error);
            json.WriteString("inputs", row.Inputs);
            json.WriteString("outputs", row.Outputs);
            json.WriteString("config", row.Config);
            json.WriteStartObject("metadata");
            foreach (var (key, value) in row.Metadata)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteStartObject("metrics");
            foreach (var (key, value) in row.Metrics)
            {
                json.WriteNumber(key, value);
            }

            json.WriteEndObject();
            json.WriteNumber("version", row.Version);
            json.WriteEndObject();
            json.Flush();
            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// RowBinary rows: ClickHouse's row-oriented binary format (LEB128 lengths, little-endian
/// numbers, DateTime64 as Int64 ticks, Map as count + pairs), in <see cref="WideEventRows"/> column order.
/// </summary>
public static class RowBinaryEncoder
{
    public static byte[] Encode(IReadOnlyList<WideEvent> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(rows.Count * 1200);
        foreach (var row in rows)
        {
            WriteString(buffer, row.EventId);
            WriteString(buffer, row.ProjectId);
            WriteString(buffer, row.SessionId);
            WriteString(buffer, row.ParentId);
            WriteString(buffer, row.EventType);
            WriteString(buffer, row.EventName);
            WriteString(buffer, row.Source);
            WriteInt64(buffer, ToUnixMicroseconds(row.StartTime));
            WriteInt64(buffer, ToUnixMicroseconds(row.EndTime));
            WriteDouble(buffer, row.DurationMs);
            WriteString(buffer, row.Error);
            WriteString(buffer, row.Inputs);
            WriteString(buffer, row.Outputs);
            WriteString(buffer, row.Config);
            WriteVarUInt(buffer, (ulong)row.Metadata.Length);
            foreach (var (key, value) in row.Metadata)
            {
                WriteString(buffer, key);
                WriteString(buffer, value);
            }

            WriteVarUInt(buffer, (ulong)row.Metrics.Length);
            foreach (var (key, value) in row.Metrics)
            {
                WriteString(buffer, key);
                WriteDouble(buffer, value);
            }

            BinaryPrimitives.WriteUInt64LittleEndian(buffer.GetSpan(8), row.Version);
            buffer.Advance(8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static long ToUnixMicroseconds(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks / 10;

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt(buffer, (ulong)length);
        var written = Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(written);
    }

    private static void WriteVarUInt(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        buffer.Advance(i);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void WriteDouble(ArrayBufferWriter<byte> buffer, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }
}
