namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>An event of the first run beside its counterpart in the second, for one datapoint.</summary>
public sealed record EventPair(string DatapointId, RunEvent First, RunEvent Second);

/// <summary>
/// Pairs the events two runs recorded for the same datapoint: the k-th event (in start order) with a
/// given event type and name in the first run's sessions for a datapoint meets the k-th such event of
/// the second run. Events whose counterpart is missing, or whose session names no datapoint, are not paired.
/// </summary>
public static class RunEventPairs
{
    public static IReadOnlyList<EventPair> Pair(RunEventSet first, RunEventSet second)
    {
        var seconds = Slots(second).ToDictionary(s => s.Key, s => s.Event);
        return [.. Slots(first)
            .Where(s => seconds.ContainsKey(s.Key))
            .Select(s => new EventPair(s.Key.Datapoint, s.Event, seconds[s.Key]))
            .OrderBy(p => p.DatapointId, StringComparer.Ordinal)
            .ThenBy(p => p.First.StartMs)
            .ThenBy(p => p.First.EventId, StringComparer.Ordinal)];
    }

    private static IEnumerable<(SlotKey Key, RunEvent Event)> Slots(RunEventSet set) => set.Events
        .Where(e => e.Matches && set.SessionDatapoints.ContainsKey(e.SessionId))
        .GroupBy(e => (Datapoint: set.SessionDatapoints[e.SessionId], e.EventType, e.EventName))
        .SelectMany(g => g.OrderBy(e => e.StartMs).ThenBy(e => e.EventId, StringComparer.Ordinal)
            .Select((e, ordinal) => (new SlotKey(g.Key.Datapoint, g.Key.EventType, g.Key.EventName, ordinal), e)));

    private sealed record SlotKey(string Datapoint, string EventType, string EventName, int Ordinal);
}
