namespace HoneyHive.Platform.Messaging;

/// <summary>
/// A batch handler whose work splits in two: <see cref="Prepare"/>, which needs nothing that earlier batches
/// change (parsing, per-message checks, enrichment from configuration), and <see cref="HandleAsync(IReadOnlyList{IncomingMessage}, object?, CancellationToken)"/>,
/// which reads and writes state. The JetStream subscription fetches and prepares batch N+1 while batch N is
/// handled, so the two stages overlap; batches are still handled (and acked) one at a time, in order, each
/// only after the previous one returned. Prepare must not read or write the state the handler changes (batch
/// N's writes are not done when N+1 is prepared), and must not throw for a bad message: it reports it in its
/// result for the handler to settle. A prepared batch whose handling fails is prepared again on its redelivery.
/// </summary>
public interface IPreparingBatchHandler : IBatchHandler
{
    /// <summary>The batch's state-free work; its result goes to <see cref="HandleAsync(IReadOnlyList{IncomingMessage}, object?, CancellationToken)"/>.</summary>
    object? Prepare(IReadOnlyList<IncomingMessage> batch);

    /// <summary>Apply the batch durably, given what <see cref="Prepare"/> returned for exactly this batch.</summary>
    Task HandleAsync(IReadOnlyList<IncomingMessage> batch, object? prepared, CancellationToken cancellationToken);

    /// <summary>Delivery without a prepare stage (Dapr, the one-by-one retry): both stages in turn.</summary>
    Task IBatchHandler.HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken) =>
        HandleAsync(batch, Prepare(batch), cancellationToken);
}
