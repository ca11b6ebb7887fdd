using HoneyHive.Writer.Storage;

namespace HoneyHive.Writer;

/// <summary>
/// Updates this process deferred because their event was not stored yet, per event, with their publish
/// time. A later update of the same event must not overtake one of them: it waits too
/// (<see cref="WaitsBehind"/>) until the earlier one is applied, dead-lettered or past its wait limit.
/// In memory: after a restart, or across Writer replicas sharing the consumer, two deferred updates of
/// one event can still apply out of order (they do apply; the later publish may lose a key both set).
/// </summary>
public sealed class PendingUpdates(TimeProvider clock)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Project, string EventId), List<Entry>> byEvent = [];

    /// <summary>Whether an earlier-published update of <paramref name="update"/>'s event, not in this batch, is still deferred.</summary>
    public bool WaitsBehind(EventUpdateRow update, IReadOnlySet<string> batchMessageIds)
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            return byEvent.TryGetValue((update.ProjectId, update.EventId), out var entries) && entries.Any(e =>
                e.Expires > now && !batchMessageIds.Contains(e.MessageId) && e.PublishedAt < (update.PublishedAt ?? DateTimeOffset.MaxValue));
        }
    }

    /// <summary>Whether an update of the event is deferred now (for tests and diagnostics).</summary>
    public bool IsWaiting(string projectId, string eventId)
    {
        lock (gate) return byEvent.ContainsKey((projectId, eventId));
    }

    /// <summary>Remembers deferred updates until <paramref name="expires"/> (their wait limit).</summary>
    public void Defer(IEnumerable<EventUpdateRow> updates, Func<EventUpdateRow, DateTimeOffset> expires)
    {
        lock (gate)
        {
            Purge(clock.GetUtcNow());
            foreach (var update in updates)
            {
                var key = (update.ProjectId, update.EventId);
                if (!byEvent.TryGetValue(key, out var entries)) byEvent[key] = entries = [];
                entries.RemoveAll(e => e.MessageId == update.Message.Id);
                entries.Add(new Entry(update.Message.Id, update.PublishedAt ?? DateTimeOffset.MinValue, expires(update)));
            }
        }
    }

    /// <summary>Forgets updates that were applied or dead-lettered.</summary>
    public void Settle(IEnumerable<EventUpdateRow> updates)
    {
        lock (gate)
        {
            foreach (var update in updates)
            {
                var key = (update.ProjectId, update.EventId);
                if (!byEvent.TryGetValue(key, out var entries)) continue;
                entries.RemoveAll(e => e.MessageId == update.Message.Id);
                if (entries.Count == 0) byEvent.Remove(key);
            }
        }
    }

    private void Purge(DateTimeOffset now)
    {
        foreach (var (key, entries) in byEvent.ToList())
        {
            entries.RemoveAll(e => e.Expires <= now);
            if (entries.Count == 0) byEvent.Remove(key);
        }
    }

    private sealed record Entry(string MessageId, DateTimeOffset PublishedAt, DateTimeOffset Expires);
}
