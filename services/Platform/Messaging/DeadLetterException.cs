namespace HoneyHive.Platform.Messaging;

/// <summary>A message of a batch that its handler gives up on at once, and why (one line, for the dead letter's error).</summary>
/// <param name="Message">The message as it was handed to the handler.</param>
/// <param name="Error">What went wrong, in terms a person reading the dead letters acts on (an error code and message).</param>
public sealed record RejectedMessage(IncomingMessage Message, string Error);

/// <summary>
/// Thrown by an <see cref="IBatchHandler"/> that handled its batch except for some messages that no redelivery can
/// fix (a metric whose code fails on the event): every other message of the batch is durable and is acknowledged;
/// each rejected one goes to <c>deadletter.&lt;topic&gt;</c> right away with its own error (JetStream: header
/// <see cref="DeadLetterHeaders.Error"/>; Dapr: the same facts as CloudEvent extension attributes, see
/// <see cref="DeadLetterAttributes"/>, since the sidecar publishes no headers), without spending the delivery budget.
/// It may also carry messages to redeliver later, as <see cref="RetryLaterException"/> does, so one batch can end
/// with both. It is not a failure: the batch is not retried member by member.
/// </summary>
public sealed class DeadLetterException(IReadOnlyList<RejectedMessage> rejected, IReadOnlyList<DeferredMessage>? deferred = null)
    : Exception($"{rejected.Count} message(s) rejected: {(rejected.Count > 0 ? rejected[0].Error : "none")}")
{
    /// <summary>The messages to dead-letter now, each with its error.</summary>
    public IReadOnlyList<RejectedMessage> Rejected { get; } = rejected;

    /// <summary>The messages to redeliver after their delay (none by default).</summary>
    public IReadOnlyList<DeferredMessage> Deferred { get; } = deferred ?? [];

    /// <summary>The error of <paramref name="message"/> (the instance handed to the handler) if it is rejected.</summary>
    public string? ErrorOf(IncomingMessage message) => Rejected.FirstOrDefault(r => ReferenceEquals(r.Message, message))?.Error;

    /// <summary>The delay asked for <paramref name="message"/>, if it is deferred.</summary>
    public TimeSpan? DelayOf(IncomingMessage message) => Deferred.FirstOrDefault(d => ReferenceEquals(d.Message, message))?.Delay;
}

/// <summary>
/// CloudEvent extension attributes of a message a handler dead-lettered in Dapr mode (the sidecar sets no message
/// headers, so the facts of <see cref="DeadLetterHeaders"/> travel in the envelope; lowercase letters as CloudEvents requires).
/// </summary>
public static class DeadLetterAttributes
{
    /// <summary>The handler's error.</summary>
    public const string Error = "hherror";

    /// <summary>The publisher's message id.</summary>
    public const string OriginalId = "hhoriginalid";

    /// <summary>The subscription that gave up.</summary>
    public const string Subscription = "hhsubscription";
}
