using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HoneyHive.Writer.Storage;

/// <summary>
/// The <c>event_schemas</c> rows of one batch (Schema/0003, 0007), computed from the rows the Writer
/// inserts instead of by a materialized view that ARRAY JOINed every key of every inserted row inside the
/// INSERT (~15 % of the insert's time). Same rows as that view: per (project, event_type, event_name, field,
/// field_type) the rows carrying the field, and min/max start_time; fields are every bucket key
/// (<c>metadata.model</c>) and one nested level below an object value (<c>metadata.usage.total_tokens</c>);
/// types named as ClickHouse's <c>JSONType</c> names them. Tombstones are not counted (the view's
/// <c>is_deleted = 0</c>); every other inserted row is, revisions and roll-ups included.
/// <para>
/// One instance lives across the retries of a batch: rows are added only once their INSERT succeeded, and
/// the flush clears them, so a retry that finds the events already stored (and skips them) still counts
/// them once. Not thread-safe: one batch at a time.
/// </para>
/// </summary>
public sealed class EventSchemaBatch
{
    private static readonly string[] Buckets = ["inputs", "outputs", "config", "metadata", "metrics", "feedback", "user_properties"];

    private readonly Dictionary<Key, Seen> fields = [];

    /// <summary>Distinct rows to insert.</summary>
    public int Count => fields.Count;

    /// <summary>Counts the fields of rows just inserted into <c>events</c>.</summary>
    public void Add(IEnumerable<EventRow> rows)
    {
        foreach (var row in rows)
        {
            if (row.IsDeleted != 0) continue;
            AddBucket(row, Buckets[0], row.Inputs);
            AddBucket(row, Buckets[1], row.Outputs);
            AddBucket(row, Buckets[2], row.Config);
            AddBucket(row, Buckets[3], row.Metadata);
            AddBucket(row, Buckets[4], row.Metrics);
            AddBucket(row, Buckets[5], row.Feedback);
            AddBucket(row, Buckets[6], row.UserProperties);
        }
    }

    /// <summary>Forgets what was flushed.</summary>
    public void Clear() => fields.Clear();

    /// <summary>The rows as JSONEachRow for <c>event_schemas</c> (SimpleAggregateFunction columns take plain values).</summary>
    public ReadOnlyMemory<byte> ToJsonEachRow()
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(1024, fields.Count * 160));
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var (key, seen) in fields)
        {
            writer.WriteStartObject();
            writer.WriteString("project_id"u8, key.ProjectId);
            writer.WriteString("event_type"u8, key.EventType);
            writer.WriteString("event_name"u8, key.EventName);
            writer.WriteString("field"u8, key.Field);
            writer.WriteString("field_type"u8, key.FieldType);
            writer.WriteNumber("occurrences"u8, seen.Occurrences);
            writer.WriteString("first_seen"u8, EventRow.FormatTime(seen.FirstMs));
            writer.WriteString("last_seen"u8, EventRow.FormatTime(seen.LastMs));
            writer.WriteEndObject();
            writer.Flush();
            buffer.Write("\n"u8);
            writer.Reset();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The rows to insert, for tests.</summary>
    public IEnumerable<(string ProjectId, string EventType, string EventName, string Field, string FieldType, ulong Occurrences)> Rows() =>
        fields.Select(f => (f.Key.ProjectId, f.Key.EventType, f.Key.EventName, f.Key.Field, f.Key.FieldType, f.Value.Occurrences));

    private void AddBucket(EventRow row, string bucket, Dictionary<string, string> values)
    {
        foreach (var (name, json) in values)
        {
            var field = string.Concat(bucket, ".", name);
            var type = JsonType(json);
            Tally(row, field, type);
            if (type == "Object") AddNested(row, field, json);
        }
    }

    /// <summary>The keys of an object value, one level down, as the view's JSONExtractKeysAndValuesRaw did.</summary>
    private void AddNested(EventRow row, string field, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!reader.Read()) return;
                var type = reader.TokenType switch
                {
                    JsonTokenType.StartObject => "Object",
                    JsonTokenType.StartArray => "Array",
                    JsonTokenType.String => "String",
                    JsonTokenType.True or JsonTokenType.False => "Bool",
                    JsonTokenType.Null => "Null",
                    JsonTokenType.Number => NumberType(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
                    _ => "Null",
                };
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                Tally(row, string.Concat(field, ".", name), type);
            }
        }
        catch (JsonException)
        {
            // Not valid JSON after all: ClickHouse would have found no keys either; the keys read so far stay.
        }
    }

    private void Tally(EventRow row, string field, string type)
    {
        var key = new Key(row.ProjectId, row.EventType, row.EventName, field, type);
        // start_time as stored: the column holds no time before the epoch (see EventRow.FormatTime).
        var start = Math.Max(0, row.StartMs);
        if (fields.TryGetValue(key, out var seen))
            fields[key] = new Seen(seen.Occurrences + 1, Math.Min(seen.FirstMs, start), Math.Max(seen.LastMs, start));
        else
            fields[key] = new Seen(1, start, start);
    }

    /// <summary>
    /// ClickHouse's <c>JSONType</c> of a value's JSON text: String, Int64, UInt64, Double, Bool, Array, Object
    /// or Null. A number is Int64 when it is an integer that fits, UInt64 when only that fits, else Double.
    /// </summary>
    public static string JsonType(string json)
    {
        var text = json.AsSpan().TrimStart();
        if (text.IsEmpty) return "Null";
        return text[0] switch
        {
            '"' => "String",
            '{' => "Object",
            '[' => "Array",
            't' or 'f' => "Bool",
            'n' => "Null",
            _ => NumberType(Encoding.UTF8.GetBytes(text.TrimEnd().ToString())),
        };
    }

    private static string NumberType(ReadOnlySpan<byte> number)
    {
        if (number.IndexOfAny(".eE"u8) >= 0) return "Double";
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) return "Int64";
        if (ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return "UInt64";
        return "Double";
    }

    private readonly record struct Key(string ProjectId, string EventType, string EventName, string Field, string FieldType);

    private readonly record struct Seen(ulong Occurrences, double FirstMs, double LastMs);
}
