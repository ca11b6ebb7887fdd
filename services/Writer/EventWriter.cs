using HoneyHive.Writer.Enrichment;
using HoneyHive.Writer.Storage;

namespace HoneyHive.Writer;

/// <summary>
/// Enriches a batch of events and writes it to <c>events</c>. Idempotent, so a retry or a redelivered
/// batch adds no visible duplicate:
/// <list type="bullet">
/// <item>an event revision already stored (same or higher version) is not inserted again, which also
/// keeps the materialized views' sums from counting it twice;</item>
/// <item>session roll-ups are recomputed from the stored children (latest revision each) on every batch
/// that touches the session and written as a new, higher version of the session row.</item>
/// </list>
/// Inputs and outputs above a size go to the object store first (<see cref="LargePayloads"/>).
/// <c>event_schemas</c> gets the batch's fields in one INSERT after its events (<see cref="EventSchemaBatch"/>).
/// Round trips per project and batch: one or two reads of what is stored (<see cref="EventStore.StoredStateAsync"/>),
/// the children's INSERT, the roll-up inputs, the session rows' INSERT; plus one <c>event_schemas</c> INSERT.
/// Nothing is cached between batches: with several Writer replicas on one consumer, another replica may
/// have written a session's rows since, so every batch reads the store's state.
/// Reads take the highest version per event (<c>LIMIT 1 BY event_id</c> or argMax), so the newest
/// revision wins without FINAL even before ReplacingMergeTree merges.
/// </summary>
public sealed class EventWriter(EventStore store, ComputedFields computed, LargePayloads payloads)
{
    // Two subscriptions write (events.> and genai.>): one batch at a time, so two batches never roll up
    // one session from the same stored state and the later one's roll-up never hides the earlier one's rows.
    private readonly SemaphoreSlim writing = new(1, 1);

    /// <summary>Rows inserted (events and derived session rows), for metrics.</summary>
    public async Task<int> WriteAsync(IReadOnlyList<EventRow> events, CancellationToken cancellationToken) =>
        (await WriteAsync(events, [], cancellationToken)).Rows;

    /// <summary>
    /// Events, then the updates of this batch in publish order (on the latest revision in this batch or in
    /// the store, so an update and its event in one batch apply in either order). A message's updates apply
    /// all or none: when one of them finds no event (not arrived yet, or deleted), or
    /// <paramref name="waitsBehind"/> says an earlier update of its event is still outstanding, the whole
    /// message comes back as unmatched, and later updates of its events in this batch too (they must not
    /// overtake it). A redelivered message is then applied whole, never half twice.
    /// </summary>
    /// <param name="schemas">The batch's field counts; pass the same one to every retry of a batch so rows a
    /// failed attempt already inserted are counted once (a retry skips them as stored).</param>
    public async Task<WriteResult> WriteAsync(
        IReadOnlyList<EventRow> events, IReadOnlyList<EventUpdateRow> updates, CancellationToken cancellationToken,
        Func<EventUpdateRow, bool>? waitsBehind = null, EventSchemaBatch? schemas = null)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            return await WriteLockedAsync(events, updates, waitsBehind, schemas ?? new EventSchemaBatch(), cancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }

    private async Task<WriteResult> WriteLockedAsync(
        IReadOnlyList<EventRow> events, IReadOnlyList<EventUpdateRow> updates,
        Func<EventUpdateRow, bool>? waitsBehind, EventSchemaBatch schemas, CancellationToken cancellationToken)
    {
        var inserted = 0;
        var unmatched = new List<EventUpdateRow>();
        var projects = events.Select(e => e.ProjectId).Concat(updates.Select(u => u.ProjectId)).Distinct(StringComparer.Ordinal);
        foreach (var project in projects)
        {
            var projectEvents = events.Where(e => e.ProjectId == project).ToList();
            var projectUpdates = updates.Where(u => u.ProjectId == project).ToList();
            inserted += await WriteProjectAsync(project, projectEvents, projectUpdates, unmatched, waitsBehind, schemas, cancellationToken);
        }

        // After the events, as the view did (it ran once the rows were in): a crash in between loses these
        // counts, never an event; the catalogue fills again with the next batch carrying the fields.
        await store.InsertSchemasAsync(schemas, cancellationToken);

        return new WriteResult(inserted, unmatched);
    }

    private async Task<int> WriteProjectAsync(
        string projectId,
        List<EventRow> events,
        List<EventUpdateRow> updates,
        List<EventUpdateRow> unmatched,
        Func<EventUpdateRow, bool>? waitsBehind,
        EventSchemaBatch schemas,
        CancellationToken cancellationToken)
    {
        // Enrichment is idempotent (it only fills what is missing), so a retry may pass the same rows again.
        foreach (var row in events) computed.Apply(row);

        // The same event twice in a batch (a retried request): the highest revision.
        var latest = new Dictionary<string, EventRow>(StringComparer.Ordinal);
        foreach (var row in events)
        {
            if (!latest.TryGetValue(row.EventId, out var seen) || seen.Version < row.Version) latest[row.EventId] = row;
        }

        if (updates.Count > 0) await ApplyUpdatesAsync(projectId, updates, latest, unmatched, waitsBehind, cancellationToken);
        var rows = latest.Values.ToList();
        if (rows.Count == 0) return 0;
        var autoCreate = events.Where(e => e.SessionAutoCreate && !e.IsSession).Select(e => e.SessionId).ToHashSet(StringComparer.Ordinal);
        var sessions = rows.Select(r => r.SessionId).Distinct(StringComparer.Ordinal).ToList();

        // Session bases: the stored session row (a client revision or the roll-up built on it), replaced by
        // this batch's revision when that is the same client revision or a newer one.
        var state = await store.StoredStateAsync(projectId, sessions, rows, cancellationToken);
        var bases = state.SessionBases;
        var arrivedSessions = new List<EventRow>();
        foreach (var session in rows.Where(r => r.IsSession))
        {
            if (!bases.TryGetValue(session.SessionId, out var stored) || stored.Version / EventRow.ClientVersionUnit <= session.Version / EventRow.ClientVersionUnit)
            {
                // Also on a redelivery: a crash after the insert but before the hand-down must not leave children behind.
                arrivedSessions.Add(session);
                bases[session.SessionId] = session;
            }
        }

        foreach (var child in rows.Where(r => !r.IsSession))
        {
            if (bases.TryGetValue(child.SessionId, out var session)) SessionRollup.Inherit(child, session);
        }

        var fresh = rows.Where(r => !state.EventVersions.TryGetValue(r.EventId, out var version) || version < r.Version).ToList();
        var freshChildren = fresh.Where(r => !r.IsSession).ToList();
        await payloads.OffloadAsync(freshChildren, cancellationToken);
        await store.InsertAsync(freshChildren, schemas, cancellationToken);
        var inserted = freshChildren.Count;

        // A session that arrived after its children: hand its experiment keys and source down to them.
        foreach (var session in arrivedSessions.Where(SessionRollup.HasInheritable))
        {
            var keys = SessionRollup.InheritedKeys.Where(session.Metadata.ContainsKey).ToList();
            var children = await store.ChildrenMissingAsync(projectId, session.SessionId, keys, cancellationToken);
            var updated = children.Where(c => SessionRollup.Inherit(c, session)).ToList();
            foreach (var child in updated) child.Version++;
            await store.InsertAsync(updated, schemas, cancellationToken);
            inserted += updated.Count;
        }

        // The session's own row goes in the same INSERT as its roll-up (one block, atomic), so no reader
        // ever sees the session without its roll-ups.
        var freshSessions = fresh.Where(r => r.IsSession).ToList();
        inserted += await RollUpAsync(projectId, sessions, state.SessionVersions, bases, autoCreate, rows, freshSessions, schemas, cancellationToken);
        return inserted;
    }

    /// <summary>Each update on the newest revision of its event: this batch's, else the stored one.</summary>
    private async Task ApplyUpdatesAsync(
        string projectId,
        List<EventUpdateRow> updates,
        Dictionary<string, EventRow> latest,
        List<EventUpdateRow> unmatched,
        Func<EventUpdateRow, bool>? waitsBehind,
        CancellationToken cancellationToken)
    {
        var missing = updates.Select(u => u.EventId).Where(id => !latest.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        var stored = await store.LatestRowsAsync(projectId, missing, cancellationToken);
        // Log messages are merged inside inputs and outputs: a stored row whose buckets were moved gets them back first.
        foreach (var eventId in updates.Where(u => u.LogMessages.Count > 0).Select(u => u.EventId).Distinct(StringComparer.Ordinal))
        {
            if (stored.TryGetValue(eventId, out var row)) await payloads.RestoreAsync(row, cancellationToken);
        }
        // Events with an earlier update that does not apply in this batch: later ones wait behind it.
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        var messages = updates
            .GroupBy(u => u.Message, ReferenceEqualityComparer.Instance)
            .OrderBy(m => m.First().PublishedAt ?? DateTimeOffset.MinValue);
        foreach (var message in messages)
        {
            var ready = message.All(u =>
                !blocked.Contains(u.EventId)
                && (latest.ContainsKey(u.EventId) || stored.ContainsKey(u.EventId))
                && waitsBehind?.Invoke(u) != true);
            if (!ready)
            {
                unmatched.AddRange(message);
                foreach (var update in message) blocked.Add(update.EventId);
                continue;
            }

            foreach (var update in message)
            {
                var current = latest.TryGetValue(update.EventId, out var row) ? row : stored[update.EventId];
                var updated = update.ApplyTo(current);
                computed.Apply(updated);
                latest[update.EventId] = updated;
            }
        }
    }

    private async Task<int> RollUpAsync(
        string projectId,
        List<string> sessions,
        Dictionary<string, ulong> versions,
        Dictionary<string, EventRow> bases,
        HashSet<string> autoCreate,
        List<EventRow> rows,
        List<EventRow> sessionRows,
        EventSchemaBatch schemas,
        CancellationToken cancellationToken)
    {
        // Session versions as read before this batch's inserts: nothing of this batch writes a session row
        // before the INSERT below.
        var firstChild = new Dictionary<string, EventRow>(StringComparer.Ordinal);
        foreach (var row in rows) firstChild.TryAdd(row.SessionId, row);
        var sessionsToRollUp = new Dictionary<string, EventRow>(StringComparer.Ordinal);
        foreach (var sessionId in sessions)
        {
            versions.TryGetValue(sessionId, out var latest);
            if (bases.TryGetValue(sessionId, out var session))
            {
                sessionsToRollUp[sessionId] = session;
                continue;
            }

            // No session event yet: create one only when asked to (or when an earlier batch did);
            // otherwise the children wait, linkable by session_id, until it arrives.
            var alreadyCreated = latest is > 0 and < EventRow.ClientVersionUnit;
            if (autoCreate.Contains(sessionId) || alreadyCreated) sessionsToRollUp[sessionId] = SessionRollup.AutoCreated(firstChild[sessionId]);
        }

        // Children are aggregated only for the sessions that get a roll-up row.
        var aggregates = await store.AggregatesAsync(projectId, sessionsToRollUp.Keys, cancellationToken);
        var rollups = new List<EventRow>(sessionRows);
        foreach (var (sessionId, session) in sessionsToRollUp)
        {
            versions.TryGetValue(sessionId, out var latest);
            aggregates.TryGetValue(sessionId, out var children);
            var version = Math.Max(latest, session.Version) + 1;
            rollups.Add(SessionRollup.Apply(session, children, version));
        }

        await payloads.OffloadAsync(rollups, cancellationToken);
        await store.InsertAsync(rollups, schemas, cancellationToken);
        return rollups.Count;
    }
}

/// <summary>What a write did: rows inserted, and the updates not applied (their messages' updates, whole).</summary>
public sealed record WriteResult(int Rows, IReadOnlyList<EventUpdateRow> Unmatched);
