using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Writes an <c>events</c> row (as <see cref="CurrentEvents.Columns"/> selects it) as the API's
/// event object: times as Unix milliseconds, each bucket rebuilt from its per-key JSON texts. (Ingestion's
/// <c>EventRecordJsonContext</c> serializes the Contracts record on the message log; a different job.)
/// </summary>
public static class EventRowJson
{
    private static readonly string[] Buckets = ["config", "inputs", "outputs", "metadata", "metrics", "feedback", "user_properties"];

    /// <param name="payloads">Buckets the Writer moved to the object store, by key (<see cref="PayloadResolver"/>):
    /// written in place of their previews.</param>
    public static void Write(Utf8JsonWriter writer, JsonElement row, Projection? projection = null, IReadOnlyDictionary<string, string>? payloads = null)
    {
        writer.WriteStartObject();
        WriteFields(writer, row, projection, payloads);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The event's properties without the enclosing braces, so a caller can add its own after them (a tree's
    /// <c>children</c>). <paramref name="metadata"/> values replace the row's own metadata keys in place and
    /// follow them when the row lacks the key, whatever the projection; without a projected metadata bucket they
    /// form one, last. That is where a <see cref="System.Text.Json.Nodes.JsonObject"/> would have put them.
    /// </summary>
    public static void WriteFields(
        Utf8JsonWriter writer, JsonElement row, Projection? projection = null, IReadOnlyDictionary<string, string>? payloads = null,
        IReadOnlyList<MetadataValue>? metadata = null)
    {
        WriteString(writer, row, "event_id", projection, always: true);
        WriteString(writer, row, "project_id", projection);
        WriteString(writer, row, "org_id", projection);
        WriteString(writer, row, "workspace_id", projection);
        WriteString(writer, row, "session_id", projection);
        if (Wants(projection, "parent_id") && row.GetProperty("parent_id").GetString() is { Length: > 0 } parent)
            writer.WriteString("parent_id", parent);
        if (Wants(projection, "children_ids")) row.GetProperty("children_ids").WriteTo(WithName(writer, "children_ids"));
        WriteString(writer, row, "event_type", projection);
        WriteString(writer, row, "event_name", projection);
        WriteString(writer, row, "source", projection);
        if (Wants(projection, "start_time")) writer.WriteNumber("start_time", ReadInt64(row.GetProperty("start_ms")));
        if (Wants(projection, "end_time")) writer.WriteNumber("end_time", ReadInt64(row.GetProperty("end_ms")));
        if (Wants(projection, "duration")) writer.WriteNumber("duration", ReadDouble(row.GetProperty("duration")));
        if (Wants(projection, "error"))
        {
            var error = row.GetProperty("error");
            if (error.ValueKind == JsonValueKind.String) writer.WriteString("error", error.GetString());
            else writer.WriteNull("error");
        }

        // A bit per override remembers which were written in place.
        if (metadata is { Count: > 64 }) throw new ArgumentOutOfRangeException(nameof(metadata), "At most 64 metadata values.");
        var metadataWritten = false;
        foreach (var bucket in Buckets)
        {
            if (!Wants(projection, bucket) && projection?.Keys(bucket) is null) continue;
            var keys = Wants(projection, bucket) ? null : projection!.Keys(bucket);
            var overrides = bucket == "metadata" ? metadata : null;
            metadataWritten |= bucket == "metadata";
            if (payloads is not null && PayloadResolver.Reference(row, bucket) is { } reference && payloads.TryGetValue(reference.Key, out var whole))
            {
                WriteWhole(writer, bucket, whole, keys, overrides);
                continue;
            }

            writer.WriteStartObject(bucket);
            var replaced = 0UL;
            foreach (var entry in row.GetProperty(bucket).EnumerateObject())
            {
                if (keys is not null && !keys.Contains(entry.Name)) continue;
                if (Override(overrides, entry.Name) is var i and >= 0)
                {
                    overrides![i].Write(writer);
                    replaced |= 1UL << i;
                    continue;
                }

                writer.WritePropertyName(entry.Name);
                WriteJsonText(writer, entry.Value.GetString() ?? "null");
            }

            WriteRest(writer, overrides, replaced);
            writer.WriteEndObject();
        }

        if (!metadataWritten && metadata is not null)
        {
            writer.WriteStartObject("metadata");
            WriteRest(writer, metadata, 0);
            writer.WriteEndObject();
        }
    }

    public static JsonObject ToNode(JsonElement row, IReadOnlyDictionary<string, string>? payloads = null, Projection? projection = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer)) Write(writer, row, projection, payloads);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    /// <summary>A bucket from the full JSON object stored for it (keys filtered like the row's own).</summary>
    private static void WriteWhole(Utf8JsonWriter writer, string bucket, string whole, IReadOnlySet<string>? keys, IReadOnlyList<MetadataValue>? overrides)
    {
        using var document = JsonDocument.Parse(whole);
        writer.WriteStartObject(bucket);
        var replaced = 0UL;
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            if (keys is not null && !keys.Contains(entry.Name)) continue;
            if (Override(overrides, entry.Name) is var i and >= 0)
            {
                overrides![i].Write(writer);
                replaced |= 1UL << i;
                continue;
            }

            entry.WriteTo(writer);
        }

        WriteRest(writer, overrides, replaced);
        writer.WriteEndObject();
    }

    private static int Override(IReadOnlyList<MetadataValue>? overrides, string key)
    {
        if (overrides is null) return -1;
        for (var i = 0; i < overrides.Count; i++)
            if (overrides[i].Key == key) return i;
        return -1;
    }

    /// <summary>The overriding values the bucket did not hold (<paramref name="replaced"/>: a bit per value written in place).</summary>
    private static void WriteRest(Utf8JsonWriter writer, IReadOnlyList<MetadataValue>? overrides, ulong replaced)
    {
        if (overrides is null) return;
        for (var i = 0; i < overrides.Count; i++)
            if ((replaced & (1UL << i)) == 0) overrides[i].Write(writer);
    }

    /// <summary>A bucket value is the JSON text the writer stored; anything unparsable is returned as a string, not dropped.</summary>
    private static void WriteJsonText(Utf8JsonWriter writer, string text)
    {
        try
        {
            writer.WriteRawValue(text);
        }
        catch (JsonException)
        {
            writer.WriteStringValue(text);
        }
        catch (ArgumentException)
        {
            writer.WriteStringValue(text);
        }
    }

    private static Utf8JsonWriter WithName(Utf8JsonWriter writer, string name)
    {
        writer.WritePropertyName(name);
        return writer;
    }

    private static void WriteString(Utf8JsonWriter writer, JsonElement row, string name, Projection? projection, bool always = false)
    {
        if (always || Wants(projection, name)) writer.WriteString(name, row.GetProperty(name).GetString());
    }

    private static bool Wants(Projection? projection, string name) => projection is null || projection.Includes(name);

    public static long ReadInt64(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture)
        : value.GetInt64();

    public static double ReadDouble(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => double.Parse(value.GetString()!, CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble(),
        _ => 0,
    };
}

/// <summary>The fields a request asked for: top-level names, whole buckets, or single bucket keys (<c>metadata.model</c>).</summary>
public sealed class Projection
{
    private static readonly HashSet<string> TopLevel = new(StringComparer.Ordinal)
    {
        "event_id", "project_id", "org_id", "workspace_id", "session_id", "parent_id", "children_ids", "event_type", "event_name",
        "source", "start_time", "end_time", "duration", "error", "config", "inputs", "outputs", "metadata", "metrics", "feedback",
        "user_properties",
    };

    private readonly HashSet<string> fields = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> keys = new(StringComparer.Ordinal);

    public static Projection? From(IReadOnlyList<string>? projections)
    {
        if (projections is null || projections.Count == 0) return null;
        var projection = new Projection();
        foreach (var name in projections)
        {
            if (name is not null && TopLevel.Contains(name))
            {
                projection.fields.Add(name);
                continue;
            }

            // Validates the name; a nested path projects its whole top-level key.
            var field = EventField.Resolve(name, "projections");
            if (!field.IsBucket) projection.fields.Add(field.Column);
            else if (projection.keys.TryGetValue(field.Column, out var set)) set.Add(field.Key!);
            else projection.keys[field.Column] = new HashSet<string>(StringComparer.Ordinal) { field.Key! };
        }

        return projection;
    }

    public bool Includes(string name) => fields.Contains(name);

    public IReadOnlySet<string>? Keys(string bucket) => keys.GetValueOrDefault(bucket);
}

/// <summary>A value computed by a read (a session roll-up) that <see cref="EventRowJson.WriteFields"/> writes into metadata.</summary>
public readonly record struct MetadataValue
{
    private readonly long integer;
    private readonly double number;
    private readonly bool? flag;

    private MetadataValue(string key, long integer, double number, bool? flag, bool isInteger)
    {
        Key = key;
        this.integer = integer;
        this.number = number;
        this.flag = flag;
        IsInteger = isInteger;
    }

    public string Key { get; }

    private bool IsInteger { get; }

    public static MetadataValue Of(string key, long value) => new(key, value, 0, null, true);

    public static MetadataValue Of(string key, double value) => new(key, 0, value, null, false);

    public static MetadataValue Of(string key, bool value) => new(key, 0, 0, value, false);

    public void Write(Utf8JsonWriter writer)
    {
        if (flag is { } b) writer.WriteBoolean(Key, b);
        else if (IsInteger) writer.WriteNumber(Key, integer);
        else writer.WriteNumber(Key, number);
    }
}
