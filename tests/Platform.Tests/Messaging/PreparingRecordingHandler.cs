using System.Collections.Concurrent;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>
/// Records the order of its two stages per message id ("prepare:id", "handle:id", "handled:id"). Handling a
/// message in <see cref="HoldUntilPrepared"/> waits until the message named there has been prepared, so a test
/// can see the subscription prepare batch N+1 while batch N is still being handled.
/// </summary>
public sealed class PreparingRecordingHandler : IPreparingBatchHandler
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> preparedIds = new();

    public ConcurrentQueue<string> Log { get; } = new();

    /// <summary>Messages handled successfully, with the preparation they were handed (null: prepared inline).</summary>
    public ConcurrentQueue<(IncomingMessage Message, string? Preparation)> Handled { get; } = new();

    /// <summary>Handling the key waits (up to 20 s) for the value's preparation.</summary>
    public Dictionary<string, string> HoldUntilPrepared { get; } = [];

    /// <summary>Decides whether a batch's handling fails (throws) after its preparation.</summary>
    public Func<IReadOnlyList<IncomingMessage>, bool> FailWhen { get; set; } = _ => false;

    public object? Prepare(IReadOnlyList<IncomingMessage> batch)
    {
        foreach (var message in batch)
        {
            Log.Enqueue("prepare:" + message.Id);
            preparedIds.GetOrAdd(message.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        return "prepared:" + string.Join(',', batch.Select(m => m.Id));
    }

    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, object? prepared, CancellationToken cancellationToken)
    {
        foreach (var message in batch)
        {
            Log.Enqueue("handle:" + message.Id);
            if (HoldUntilPrepared.TryGetValue(message.Id, out var next))
            {
                var ready = preparedIds.GetOrAdd(next, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(20), cancellationToken)) != ready) Log.Enqueue("timeout:" + message.Id);
            }
        }

        if (FailWhen(batch)) throw new InvalidOperationException($"refused a batch of {batch.Count}");
        foreach (var message in batch)
        {
            Handled.Enqueue((message, prepared as string));
            Log.Enqueue("handled:" + message.Id);
        }
    }
}
