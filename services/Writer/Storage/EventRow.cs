using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HoneyHive.Contracts.Events;

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
    [JsonPropertyName("start_time")] public string StartTime { get; set; } = FormatTime(0);
    [JsonPropertyName("end_time")] public string EndTime { get; set; } = FormatTime(0);
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

    [JsonIgnore] public double StartMs => ParseTime(StartTime);
    [JsonIgnore] public double EndMs => ParseTime(EndTime);
    [JsonIgnore] public bool IsSession => EventType == "session";

    /// <summary>The row of a client revision of an event.</summary>
    public static EventRow From(EventRecord record) => new()
    {
        EventId = record.EventId,
        ProjectId = record.ProjectId,
        OrgId = record.OrgId,
        WorkspaceId = record.WorkspaceId,
        SessionId = record.SessionId,
        ParentId = record.ParentId ?? "",
        ChildrenIds = record.ChildrenIds ?? [],
        EventType = record.EventType,
        EventName = record.EventName,
        Source = record.Source,
        StartTime = FormatTime(record.StartTime),
        EndTime = FormatTime(record.EndTime),
        Duration = record.Duration,
        Error = string.IsNullOrEmpty(record.Error) ? null : record.Error,
        Inputs = Bucket(record.Inputs),
        Outputs = Bucket(record.Outputs),
        Config = Bucket(record.Config),
        Metadata = Bucket(record.Metadata),
        Metrics = Bucket(record.Metrics),
        Feedback = Bucket(record.Feedback),
        UserProperties = Bucket(record.UserProperties),
        Version = checked((record.Revision + 1) * ClientVersionUnit),
    };

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

    /// <summary>Top-level key → the value's JSON text (strings keep their quotes, so types survive).</summary>
    public static Dictionary<string, string> Bucket(JsonObject bucket)
    {
        var map = new Dictionary<string, string>(bucket.Count, StringComparer.Ordinal);
        foreach (var (key, value) in bucket) map[key] = value?.ToJsonString() ?? "null";
        return map;
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

/// <summary>Serializer settings for rows: ClickHouse quotes 64-bit integers in its JSON output.</summary>
internal static class RowJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        // ClickHouse reads any valid JSON string; escaping non-ASCII would only make rows larger.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Rows as JSONEachRow: one compact object per line.</summary>
    public static byte[] ToJsonEachRow(IEnumerable<EventRow> rows)
    {
        using var buffer = new MemoryStream();
        foreach (var row in rows)
        {
            JsonSerializer.Serialize(buffer, row, Options);
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    public static EventRow Read(JsonElement element) =>
        element.Deserialize<EventRow>(Options) ?? throw new InvalidOperationException("A null row came back from the events table.");
}
