using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Writer.DeadLetters;

/// <summary>Outcome of one dead letter's replay.</summary>
public sealed record ReplayResult(string Key, int Events, string? Error);

/// <summary>
/// Re-inserts dead letters through the same <see cref="EventWriter"/> the consumer uses (idempotent: an
/// event already stored is not inserted twice), and deletes a letter only after its insert succeeded.
/// With <c>publish</c> it hands the messages back to the message log instead, for a running Writer to
/// consume (chDB allows one process per data folder, so a second process cannot insert while the Host runs).
/// </summary>
public sealed class DeadLetterReplayer(DeadLetterStore letters, IServiceProvider services, ILogger<DeadLetterReplayer> logger)
{
    public async Task<IReadOnlyList<ReplayResult>> ReplayAsync(bool publish, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var key in letters.ListAsync(cancellationToken)) keys.Add(key);
        var results = new List<ReplayResult>();
        foreach (var key in keys)
        {
            results.Add(await ReplayOneAsync(key, publish, cancellationToken));
        }

        return results;
    }

    private async Task<ReplayResult> ReplayOneAsync(string key, bool publish, CancellationToken cancellationToken)
    {
        var letter = await letters.ReadAsync(key, cancellationToken);
        if (letter is null) return new(key, 0, "gone");
        var parsed = letter.Messages.Select(m => IncomingEvents.Parse(m.ToIncoming())).ToList();
        if (parsed.FirstOrDefault(p => p.Error is not null) is { } bad)
            return new(key, 0, $"message {bad.Message.Id} cannot be replayed: {bad.Error}");
        var events = parsed.SelectMany(p => p.Events).ToList();
        try
        {
            if (publish)
            {
                var publisher = (IEventPublisher?)services.GetService(typeof(IEventPublisher))
                    ?? throw new InvalidOperationException("No message log is configured (ConnectionStrings:nats).");
                // A fresh id: the original one may still sit in the duplicate window, which would drop the replay.
                await publisher.PublishBatchAsync(
                    parsed.Select(p => new OutgoingMessage(p.Message.Topic, $"replay-{letter.Id}-{p.Message.Id}", p.Message.Data)).ToList(),
                    cancellationToken);
            }
            else
            {
                var writer = (EventWriter?)services.GetService(typeof(EventWriter))
                    ?? throw new InvalidOperationException("The event writer is not registered.");
                await writer.WriteAsync(events, parsed.SelectMany(p => p.Updates).ToList(), cancellationToken);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Replay of {Key} failed; the dead letter stays", key);
            return new(key, events.Count, $"{ex.GetType().Name}: {ex.Message}");
        }

        await letters.DeleteAsync(key, cancellationToken);
        logger.LogInformation("Replayed {Events} events of {Key}", events.Count, key);
        return new(key, events.Count, null);
    }
}
