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

    /// <summary>
    /// Puts moved inputs and outputs back into a stored row (before a change that edits inside them, such as
    /// merged log messages); the changed row's buckets are moved again, under its own version, when it is written.
    /// </summary>
    public async Task RestoreAsync(EventRow row, CancellationToken cancellationToken)
    {
        if (await RestoreAsync(row.ProjectId, row.Inputs, cancellationToken) is { } inputs) row.Inputs = inputs;
        if (await RestoreAsync(row.ProjectId, row.Outputs, cancellationToken) is { } outputs) row.Outputs = outputs;
    }

    private async Task<Dictionary<string, string>?> RestoreAsync(string projectId, Dictionary<string, string> map, CancellationToken cancellationToken)
    {
        if (!map.TryGetValue(PayloadReference.MarkerKey, out var marker)) return null;
        var reference = JsonSerializer.Deserialize<PayloadReference>(marker);
        if (reference is null || !PayloadReference.BelongsTo(reference.Key, projectId)) return null;
        await using var content = await objects.GetAsync(reference.Key, cancellationToken)
            ?? throw new InvalidOperationException($"the payload {reference.Key} of a stored event is missing");
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
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
