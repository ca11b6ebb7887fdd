using System.Buffers;
using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;

namespace HoneyHive.Ingestion.Publishing;

/// <summary>
/// The events of one request as the JSON they are published as, written one after another into a
/// pooled buffer (a request's events are ~100-900 KB: kept off the large-object heap) and sliced
/// into messages by <see cref="EventBatchPublisher"/>.
/// </summary>
public sealed class EventJsonBatch : IDisposable
{
    private readonly ArrayPoolBufferWriter<byte> buffer = new(64 * 1024);
    private readonly List<(int Start, int Length)> events = [];
    private readonly Utf8JsonWriter writer;

    public EventJsonBatch() => writer = new Utf8JsonWriter(buffer, EventJson.WriterOptions);

    public int Count => events.Count;

    /// <summary>One event's JSON.</summary>
    public ReadOnlySpan<byte> this[int index] => buffer.WrittenSpan.Slice(events[index].Start, events[index].Length);

    public void Add(SpanEvent record) => Append(record, static (w, r) => r.WriteTo(w));

    public void Add(EventRecord record) => Append(record, static (w, r) => JsonSerializer.Serialize(w, r, EventRecordJsonContext.Default.EventRecord));

    /// <summary>An event already written (another batch's), copied as it is.</summary>
    public void Add(ReadOnlySpan<byte> json)
    {
        var start = buffer.WrittenCount;
        buffer.Write(json);
        events.Add((start, json.Length));
    }

    public void Dispose()
    {
        writer.Dispose();
        buffer.Dispose();
    }

    private void Append<T>(T record, Action<Utf8JsonWriter, T> write)
    {
        var start = buffer.WrittenCount;
        writer.Reset(buffer);
        write(writer, record);
        writer.Flush();
        events.Add((start, buffer.WrittenCount - start));
    }
}
