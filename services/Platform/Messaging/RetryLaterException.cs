namespace HoneyHive.Platform.Messaging;

/// <summary>A message of a batch that its handler wants back later, and how long to wait.</summary>
/// <param name="Message">The message as it was handed to the handler.</param>
/// <param name="Delay">Wait before the redelivery (zero: as soon as possible).</param>
public sealed record DeferredMessage(IncomingMessage Message, TimeSpan Delay);

/// <summary>
/// Thrown by an <see cref="IBatchHandler"/> that handled its batch except for some messages which cannot
/// be handled <em>yet</em> (an update whose event has not arrived): every other message of the batch is
/// durable and is acknowledged; only the listed ones are redelivered after their delay (a JetStream nak
/// with delay, a Dapr <c>RETRY</c> for just those entries). It is not a failure: the batch is not retried
/// member by member. Deferrals are bounded by <see cref="BatchSubscription.MaxDeferrals"/>; the handler
/// decides when waiting is pointless and dead-letters the message itself.
/// </summary>
public sealed class RetryLaterException(IReadOnlyList<DeferredMessage> deferred, string reason)
    : Exception($"{deferred.Count} message(s) deferred: {reason}")
{
    /// <summary>The messages to redeliver.</summary>
    public IReadOnlyList<DeferredMessage> Deferred { get; } = deferred;

    /// <summary>Whether <paramref name="message"/> (the instance handed to the handler) is deferred.</summary>
    public bool Defers(IncomingMessage message) => Deferred.Any(d => ReferenceEquals(d.Message, message));

    /// <summary>The delay asked for <paramref name="message"/>, if it is deferred.</summary>
    public TimeSpan? DelayOf(IncomingMessage message) => Deferred.FirstOrDefault(d => ReferenceEquals(d.Message, message))?.Delay;
}
