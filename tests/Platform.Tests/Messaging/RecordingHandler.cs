using System.Collections.Concurrent;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>A handler that records every call and fails when <see cref="FailWhen"/> says so.</summary>
public sealed class RecordingHandler : IBatchHandler
{
    /// <summary>Every batch handed over, in call order.</summary>
    public ConcurrentQueue<IReadOnlyList<IncomingMessage>> Calls { get; } = new();

    /// <summary>Messages of the batches that succeeded.</summary>
    public ConcurrentQueue<IncomingMessage> Handled { get; } = new();

    /// <summary>Decides whether a batch fails (throws).</summary>
    public Func<IReadOnlyList<IncomingMessage>, bool> FailWhen { get; set; } = _ => false;

    /// <summary>Decides which messages the handler cannot handle yet (it throws <see cref="RetryLaterException"/> for them).</summary>
    public Func<IncomingMessage, bool> DeferWhen { get; set; } = _ => false;

    public Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        Calls.Enqueue(batch);
        if (FailWhen(batch))
        {
            throw new InvalidOperationException($"refused a batch of {batch.Count}");
        }

        var deferred = batch.Where(DeferWhen).Select(m => new DeferredMessage(m, TimeSpan.FromMilliseconds(100))).ToList();
        foreach (var message in batch.Where(m => !deferred.Any(d => ReferenceEquals(d.Message, m)))) Handled.Enqueue(message);
        if (deferred.Count > 0) throw new RetryLaterException(deferred, "not yet");
        return Task.CompletedTask;
    }
}
