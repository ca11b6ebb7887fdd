using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HoneyHive.Writer.Storage;

/// <summary>
/// One row of the <c>events</c> table (Schema/0001_events.sql), as written in JSONEachRow and read
/// back by <c>SELECT *</c>. Buckets map each top-level key to its value's JSON text; times are
/// DateTime64(6) text in UTC.
/// </summary>
public sealed class EventRow
{
    /// <summary>
    /// Versions: a client revision R is written as (R + 1) &lt;&lt; 32; rows the writer derives (session
    /// roll-ups, inherited keys filled in later) add 1..2^32-1 to the version they build on, so a newer
    /// client revision always wins over them, and an auto-created session (no client row) stays below 2^32
    /// until the real session event replaces it.
    /// </summary>
    public const ulong ClientVersionUnit = 1UL << 32;

    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";
    [JsonPropertyName("project_id")] public string ProjectId { get; set; } = "";
    [JsonPropertyName("org_id")] public string OrgId { get; set; } = "";
    [JsonPropertyName("workspace_id")] public string WorkspaceId { get; set; } = "";
    [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";
    [JsonPropertyName("parent_id")] public string ParentId { get; set; } = "";
    [JsonPropertyName("children_ids")] public List<string> ChildrenIds { get; set; } = [];
    [JsonPropertyName("event_type")] public string EventType { get; set; } = "";
    [JsonPropertyName("event_name")] public string EventName { get; set; } = "";
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("start_time")] public string StartTime { get => FormatTime(StartMs); set => StartMs = ParseTime(value); }
    [JsonPropertyName("end_time")] public string EndTime { get => FormatTime(EndMs); set => EndMs = ParseTime(value); }
    [JsonPropertyName("duration")] public double Duration { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("inputs")] public Dictionary<string, string> Inputs { get; set; } = [];
    [JsonPropertyName("outputs")] public Dictionary<string, string> Outputs { get; set; } = [];
    [JsonPropertyName("config")] public Dictionary<string, string> Config { get; set; } = [];
    [JsonPropertyName("metadata")] public Dictionary<string, string> Metadata { get; set; } = [];
    [JsonPropertyName("metrics")] public Dictionary<string, string> Metrics { get; set; } = [];
    [JsonPropertyName("feedback")] public Dictionary<string, string> Feedback { get; set; } = [];
    [JsonPropertyName("user_properties")] public Dictionary<string, string> UserProperties { get; set; } = [];
    [JsonPropertyName("version")] public ulong Version { get; set; }
    [JsonPropertyName("is_deleted")] public byte IsDeleted { get; set; }

    /// <summary>Start, Unix milliseconds (the column is DateTime64(6) text, see <see cref="StartTime"/>).</summary>
    [JsonIgnore] public double StartMs { get; set; }
    [JsonIgnore] public double EndMs { get; set; }
    [JsonIgnore] public bool IsSession => EventType == "session";

    /// <summary>The client asked for its session to be created if missing (not a column).</summary>
    [JsonIgnore] public bool SessionAutoCreate { get; set; }

    public EventRow Clone()
    {
        var copy = (EventRow)MemberwiseClone();
        copy.ChildrenIds = [.. ChildrenIds];
        copy.Inputs = new(Inputs);
        copy.Outputs = new(Outputs);
        copy.Config = new(Config);
        copy.Metadata = new(Metadata);
        copy.Metrics = new(Metrics);
        copy.Feedback = new(Feedback);
        copy.UserProperties = new(UserProperties);
        return copy;
    }

    /// <summary>Unix milliseconds → DateTime64(6) text (UTC); the column's time zone makes it UTC on input.</summary>
    public static string FormatTime(double unixMs)
    {
        var ticks = (long)Math.Round(Math.Max(0, unixMs) * TimeSpan.TicksPerMillisecond / 10) * 10;
        return DateTime.UnixEpoch.AddTicks(ticks).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
    }

    public static double ParseTime(string text) =>
        (DateTime.ParseExact(text, ["yyyy-MM-dd HH:mm:ss.ffffff", "yyyy-MM-dd HH:mm:ss.fff", "yyyy-MM-dd HH:mm:ss"],
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) - DateTime.UnixEpoch).TotalMilliseconds;
}

/// <summary>
/// Rows in and out of JSON: written by hand (the hot path), read through a source-generated context. ClickHouse quotes
/// 64-bit integers in its JSON output, and reads any valid JSON string (so non-ASCII is not escaped:
/// escaping would only make rows larger).
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(EventRow))]
internal sealed partial class EventRowJsonContext : JsonSerializerContext;

internal static class RowJson
{
    private static readonly EventRowJsonContext Context = new(new JsonSerializerOptions
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = Context.Options.Encoder, SkipValidation = true };

    /// <summary>
    /// Rows as JSONEachRow: one compact object per line, written field by field (the serializer's
    /// per-call state cost more than the rows themselves at 100,000 rows a batch).
    /// </summary>
    public static ReadOnlyMemory<byte> ToJsonEachRow(IReadOnlyCollection<EventRow> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(4096, rows.Count * 1536));
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        foreach (var row in rows)
        {
            Write(writer, row);
            writer.Flush();
            buffer.Write("\n"u8);
            writer.Reset();
        }

        return buffer.WrittenMemory;
    }

    private static void Write(Utf8JsonWriter writer, EventRow row)
    {
        writer.WriteStartObject();
        writer.WriteString("event_id"u8, row.EventId);
        writer.WriteString("project_id"u8, row.ProjectId);
        writer.WriteString("org_id"u8, row.OrgId);
        writer.WriteString("workspace_id"u8, row.WorkspaceId);
        writer.WriteString("session_id"u8, row.SessionId);
        writer.WriteString("parent_id"u8, row.ParentId);
        writer.WriteStartArray("children_ids"u8);
        foreach (var child in row.ChildrenIds) writer.WriteStringValue(child);
        writer.WriteEndArray();
        writer.WriteString("event_type"u8, row.EventType);
        writer.WriteString("event_name"u8, row.EventName);
        writer.WriteString("source"u8, row.Source);
        writer.WriteString("start_time"u8, row.StartTime);
        writer.WriteString("end_time"u8, row.EndTime);
        writer.WriteNumber("duration"u8, row.Duration);
        if (row.Error is null) writer.WriteNull("error"u8);
        else writer.WriteString("error"u8, row.Error);
        WriteMap(writer, "inputs"u8, row.Inputs);
        WriteMap(writer, "outputs"u8, row.Outputs);
        WriteMap(writer, "config"u8, row.Config);
        WriteMap(writer, "metadata"u8, row.Metadata);
        WriteMap(writer, "metrics"u8, row.Metrics);
        WriteMap(writer, "feedback"u8, row.Feedback);
        WriteMap(writer, "user_properties"u8, row.UserProperties);
        writer.WriteNumber("version"u8, row.Version);
        writer.WriteNumber("is_deleted"u8, row.IsDeleted);
        writer.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter writer, ReadOnlySpan<byte> name, Dictionary<string, string> map)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map) writer.WriteString(key, value);
        writer.WriteEndObject();
    }

    public static EventRow Read(JsonElement element) =>
        element.Deserialize(Context.EventRow) ?? throw new InvalidOperationException("A null row came back from the events table.");
}
