using CommunityToolkit.HighPerformance.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Ingestion.Publishing;

/// <summary>
/// Publishes normalized events as CloudEvents (data: <see cref="EventBatch"/>) on
/// <see cref="Topics.EventsIngested"/>, one message per chunk of a request, kept under NATS's
/// 1 MiB message limit. A chunk's id is the hash of its data, so the same request sent twice is
/// stored once by the message log's deduplication. Returns only when every chunk is durable.
/// </summary>
public sealed class EventBatchPublisher(IEventPublisher publisher, TimeProvider clock)
{
    public const string Source = "/honeyhive/ingestion";
    public const string EventType = "honeyhive.events.ingested.v1";
    public const string UpdateEventType = "honeyhive.events.updated.v1";

    /// <summary>Serialized events per message, below NATS's default 1 MiB max_payload with room for the envelope.</summary>
    public int MaxMessageBytes { get; init; } = 900 * 1024;

    /// <summary>Events built as records (the event API, the LLM proxy's traces), written into one batch.</summary>
    public async Task PublishAsync(string projectId, IReadOnlyList<EventRecord> events, CancellationToken cancellationToken)
    {
        using var batch = new EventJsonBatch();
        foreach (var record in events) batch.Add(record);
        await PublishAsync(projectId, batch, cancellationToken);
    }

    public async Task PublishAsync(string projectId, EventJsonBatch events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        // Messages are ~100-900 KB: pooled buffers keep them off the large-object heap, whose
        // collections (gen 2) otherwise stall every request under load.
        var buffers = new List<ArrayPoolBufferWriter<byte>>();
        var messages = new List<OutgoingMessage>();
        try
        {
            var first = 0;
            long bytes = 0;
            for (var i = 0; i < events.Count; i++)
            {
                var length = events[i].Length;
                if (i > first && bytes + length > MaxMessageBytes)
                {
                    messages.Add(Envelope(projectId, events, first, i, buffers));
                    first = i;
                    bytes = 0;
                }
                bytes += length + 1;
            }
            messages.Add(Envelope(projectId, events, first, events.Count, buffers));
            await publisher.PublishBatchAsync(messages, cancellationToken);
        }
        finally
        {
            foreach (var buffer in buffers) buffer.Dispose();
        }
    }

    /// <summary>One request's update on <see cref="Topics.EventsUpdated"/>, on the same stream (so after the events it updates).</summary>
    public Task PublishUpdateAsync(string projectId, EventUpdate update, CancellationToken cancellationToken) =>
        PublishUpdatesAsync([JsonSerializer.SerializeToUtf8Bytes(new EventUpdateBatch(projectId, [update]), EventRecordJsonContext.Default.EventUpdateBatch)],
            Topics.EventsUpdated, cancellationToken);

    /// <summary>
    /// Updates already written as <see cref="EventUpdateBatch"/> JSON, one message each: the Writer applies a
    /// message's updates all or none, so an update whose event has not arrived (or never will) holds back only itself.
    /// </summary>
    public async Task PublishUpdatesAsync(IReadOnlyList<ReadOnlyMemory<byte>> updateBatches, string topic, CancellationToken cancellationToken)
    {
        if (updateBatches.Count == 0) return;
        var buffers = new List<ArrayPoolBufferWriter<byte>>(updateBatches.Count);
        try
        {
            var messages = new List<OutgoingMessage>(updateBatches.Count);
            // The same update sent twice (a client retry) is one message; applying it twice would be harmless anyway.
            foreach (var data in updateBatches) messages.Add(Envelope(data.Span, UpdateEventType, topic, buffers));
            await publisher.PublishBatchAsync(messages, cancellationToken);
        }
        finally
        {
            foreach (var buffer in buffers) buffer.Dispose();
        }
    }

    /// <summary>The message of events [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private OutgoingMessage Envelope(string projectId, EventJsonBatch events, int from, int to, List<ArrayPoolBufferWriter<byte>> buffers)
    {
        var size = 128;
        for (var i = from; i < to; i++) size += events[i].Length + 1;
        using var data = new ArrayPoolBufferWriter<byte>(size);
        using (var writer = new Utf8JsonWriter(data))
        {
            writer.WriteStartObject();
            writer.WriteString("project_id", projectId);
            writer.WriteStartArray("events");
            for (var i = from; i < to; i++) writer.WriteRawValue(events[i], skipInputValidation: true);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Envelope(data.WrittenSpan, EventType, Topics.EventsIngested, buffers);
    }

    /// <summary>The CloudEvent of <paramref name="data"/>, in a pooled buffer added to <paramref name="buffers"/>.</summary>
    private OutgoingMessage Envelope(ReadOnlySpan<byte> data, string type, string topic, List<ArrayPoolBufferWriter<byte>> buffers)
    {
        // The id covers the data only (not the envelope's time), so a retried request hashes the same.
        var id = Convert.ToHexStringLower(SHA256.HashData(data));
        var envelope = new ArrayPoolBufferWriter<byte>(data.Length + 256);
        buffers.Add(envelope);
        using (var writer = new Utf8JsonWriter(envelope))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", id);
            writer.WriteString("source", Source);
            writer.WriteString("type", type);
            writer.WriteString("datacontenttype", "application/json");
            writer.WriteString("topic", topic);
            writer.WriteString("time", clock.GetUtcNow());
            writer.WritePropertyName("data");
            writer.WriteRawValue(data, skipInputValidation: true);
            writer.WriteEndObject();
        }
        return new OutgoingMessage(topic, id, envelope.WrittenMemory);
    }
}
