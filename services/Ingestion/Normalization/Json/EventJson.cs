using System.Globalization;
using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// The values an <see cref="EventObject"/> holds: reading them as text or numbers, cloning and
/// thawing parsed client JSON only where a convention changes it, and writing them out.
/// </summary>
public static class EventJson
{
    /// <summary>The writer settings the events travel with (those of the serializer's defaults: compact, default escaping, depth 64).</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { MaxDepth = 64 };

    private static readonly object True = true;
    private static readonly object False = false;

    public static object Box(bool value) => value ? True : False;

    /// <summary>A string as itself; any other value as its compact JSON text; null as null.</summary>
    public static string? AsString(object? value) => value switch
    {
        null => null,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => ToJsonString(value),
    };

    public static double? AsNumber(object? value) => value switch
    {
        long l => l,
        double d => d,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var l) => l,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetDouble(out var d) => d,
        JsonElement { ValueKind: JsonValueKind.String } e when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>A child of an object value (parsed or built); null when absent or JSON null.</summary>
    public static object? Get(object? value, string key) => value switch
    {
        EventObject obj => obj[key],
        JsonElement { ValueKind: JsonValueKind.Object } e when e.TryGetProperty(key, out var child) => Leaf(child),
        _ => null,
    };

    public static bool IsObject(object? value) => value is EventObject or JsonElement { ValueKind: JsonValueKind.Object };

    public static bool IsArray(object? value) => value is EventArray or JsonElement { ValueKind: JsonValueKind.Array };

    /// <summary>A parsed element as a value: JSON null is null, as a JSON tree reads it.</summary>
    public static object? Leaf(JsonElement element) => element.ValueKind == JsonValueKind.Null ? null : element;

    /// <summary>The properties of an object value, in order.</summary>
    public static IEnumerable<KeyValuePair<string, object?>> Properties(object? value)
    {
        switch (value)
        {
            case EventObject obj:
                foreach (var entry in obj) yield return entry;
                break;
            case JsonElement { ValueKind: JsonValueKind.Object } e:
                foreach (var property in e.EnumerateObject()) yield return new(property.Name, Leaf(property.Value));
                break;
        }
    }

    /// <summary>The items of an array value, in order.</summary>
    public static IEnumerable<object?> Items(object? value)
    {
        switch (value)
        {
            case EventArray array:
                foreach (var item in array) yield return item;
                break;
            case JsonElement { ValueKind: JsonValueKind.Array } e:
                foreach (var item in e.EnumerateArray()) yield return Leaf(item);
                break;
        }
    }

    /// <summary>An object value that can be changed: a built object as it is, a parsed one copied one level deep.</summary>
    public static EventObject? AsMutableObject(object? value) => value switch
    {
        EventObject obj => obj,
        JsonElement { ValueKind: JsonValueKind.Object } e => Thaw(e, deep: false) as EventObject,
        _ => null,
    };

    /// <summary>Parsed JSON as built containers (one level, or all the way down), so it can be changed.</summary>
    public static object? Thaw(JsonElement element, bool deep)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new EventObject();
                foreach (var property in element.EnumerateObject()) obj[property.Name] = deep ? Thaw(property.Value, true) : Leaf(property.Value);
                return obj;
            case JsonValueKind.Array:
                var array = new EventArray();
                foreach (var item in element.EnumerateArray()) array.Add(deep ? Thaw(item, true) : Leaf(item));
                return array;
            default:
                return Leaf(element);
        }
    }

    /// <summary>A copy of the containers (leaves never change, so they are shared).</summary>
    public static object? DeepClone(object? value)
    {
        switch (value)
        {
            case EventObject obj:
                var copy = new EventObject(obj.Count);
                foreach (var (key, item) in obj) copy[key] = DeepClone(item);
                return copy;
            case EventArray array:
                var items = new EventArray();
                foreach (var item in array) items.Add(DeepClone(item));
                return items;
            default:
                return value;
        }
    }

    public static string ToJsonString(object? value)
    {
        using var buffer = new ArrayPoolBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) Write(writer, value);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case JsonElement e:
                e.WriteTo(writer);
                break;
            case EventObject obj:
                WriteObject(writer, obj);
                break;
            case EventArray array:
                writer.WriteStartArray();
                foreach (var item in array) Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"An event value cannot be a {value.GetType().Name}.");
        }
    }

    public static void WriteObject(Utf8JsonWriter writer, EventObject obj)
    {
        if (obj.TryGetParsed(out var parsed))
        {
            parsed.WriteTo(writer);
            return;
        }
        writer.WriteStartObject();
        foreach (var (key, item) in obj)
        {
            writer.WritePropertyName(key);
            Write(writer, item);
        }
        writer.WriteEndObject();
    }
}
