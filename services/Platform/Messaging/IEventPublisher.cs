namespace HoneyHive.Platform.Messaging;

/// <summary>One message to publish: a CloudEvent JSON envelope already serialized.</summary>
/// <param name="Topic">Subject / topic, e.g. <c>events.ingested</c>.</param>
/// <param name="Id">Deterministic id; a second publish with the same id is dropped as a duplicate.</param>
/// <param name="Data">The serialized CloudEvent.</param>
public sealed record OutgoingMessage(string Topic, string Id, ReadOnlyMemory<byte> Data);

/// <summary>
/// Publishes to the durable message log. When a call returns, every message is durable
/// (JetStream publish ack / sidecar accepted); otherwise it throws and nothing may be assumed.
/// </summary>
public interface IEventPublisher
{
    /// <summary>Publish one message and wait until it is durable.</summary>
    Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken);

    /// <summary>Publish many messages, pipelined, and wait until all are durable.</summary>
    Task PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken);
}

/// <summary>Thrown when the message log cannot accept messages right now (callers answer 503 and retry later).</summary>
public sealed class MessageLogUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
