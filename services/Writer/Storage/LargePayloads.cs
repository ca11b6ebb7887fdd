using System.Text;
using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Objects;

namespace HoneyHive.Writer.Storage;

/// <summary>
/// Moves inputs and outputs larger than <see cref="WriterOptions.LargePayloadBytes"/> to the object store
/// before their row is inserted (so no row ever points at a missing object). The row keeps a preview of
/// each key (values cut to <see cref="WriterOptions.PreviewChars"/>) and a <see cref="PayloadReference"/>.
/// Keys are per event revision, so a retry rewrites the same object.
/// </summary>
public sealed class LargePayloads(IObjectStore objects, WriterOptions options)
{
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Number of buckets moved out.</summary>
    public async Task<int> OffloadAsync(IEnumerable<EventRow> rows, CancellationToken cancellationToken)
    {
        var moved = 0;
        foreach (var row in rows)
        {
            if (await OffloadAsync(row, "inputs", row.Inputs, cancellationToken) is { } inputs) { row.Inputs = inputs; moved++; }
            if (await OffloadAsync(row, "outputs", row.Outputs, cancellationToken) is { } outputs) { row.Outputs = outputs; moved++; }
        }

        return moved;
    }

    private async Task<Dictionary<string, string>?> OffloadAsync(EventRow row, string bucket, Dictionary<string, string> map, CancellationToken cancellationToken)
    {
        // Already a preview (a roll-up copying a child's outputs, a re-derived row): nothing to move.
        if (map.ContainsKey(PayloadReference.MarkerKey) || Size(map) <= options.LargePayloadBytes) return null;

        var json = Encoding.UTF8.GetBytes(ObjectText(map));
        var key = PayloadReference.KeyFor(row.ProjectId, row.EventId, row.Version, bucket);
        using (var content = new MemoryStream(json, writable: false)) await objects.PutAsync(key, content, cancellationToken);

        var preview = new Dictionary<string, string>(map.Count + 1, StringComparer.Ordinal);
        foreach (var (name, value) in map) preview[name] = value.Length <= options.PreviewChars ? value : Preview(value);
        preview[PayloadReference.MarkerKey] = JsonSerializer.Serialize(new PayloadReference(key, json.Length));
        return preview;
    }

    /// <summary>Characters of the bucket's JSON text (keys and values): a cheap, exact-enough size.</summary>
    private static long Size(Dictionary<string, string> map)
    {
        long size = 2;
        foreach (var (name, value) in map) size += name.Length + value.Length + 4;
        return size;
    }

    /// <summary>The bucket as one JSON object; values are already JSON text.</summary>
    private static string ObjectText(Dictionary<string, string> map)
    {
        var text = new StringBuilder();
        text.Append('{');
        foreach (var (name, value) in map)
        {
            if (text.Length > 1) text.Append(',');
            text.Append(JsonSerializer.Serialize(name, RelaxedJson)).Append(':').Append(value);
        }

        return text.Append('}').ToString();
    }

    /// <summary>The start of the value's JSON text, as a JSON string ending in an ellipsis.</summary>
    private string Preview(string value)
    {
        var cut = options.PreviewChars;
        // Never split a surrogate pair.
        if (char.IsHighSurrogate(value[cut - 1])) cut--;
        return JsonSerializer.Serialize(string.Concat(value.AsSpan(0, cut), "…"), RelaxedJson);
    }
}
