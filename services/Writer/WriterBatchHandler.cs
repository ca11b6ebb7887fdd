using System.Diagnostics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Writer.DeadLetters;
using HoneyHive.Writer.Enrichment;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace HoneyHive.Writer;

/// <summary>
/// One consumed batch of <c>events.&gt;</c> messages → rows in <c>events</c>. Returns (and the batch is
/// acked) only when the rows are inserted or the batch is in the dead-letter store; throws only when
/// even the dead letter could not be written, so JetStream redelivers. Writes are retried with
/// exponential backoff and jitter first (<see cref="WriterModule.RetryPipelineKey"/>).
/// <para>
/// Updates can overtake the events they change (parallel publishers, parallel topics). An update whose
/// event is not stored yet is deferred: the rest of the batch is written and acked, and only its message
/// comes back later (<see cref="RetryLaterException"/>), until it is <see cref="WriterOptions.UpdateWaitLimit"/>
/// old; then it is dead-lettered with that reason. Later updates of the same event wait behind it
/// (<see cref="PendingUpdates"/>), so updates of one event still apply in publish order.
/// </para>
/// <para>
/// Pipelined (<see cref="IPreparingBatchHandler"/>): the subscription parses and enriches batch N+1
/// (<see cref="Prepare"/>) while batch N is written. Nothing of that reads the store, so batch N+1's
/// stored-state lookup, its update matching and its roll-ups all run in <see cref="HandleAsync(IReadOnlyList{IncomingMessage}, object?, CancellationToken)"/>
/// after batch N's rows are inserted (and acked): an update in N+1 of an event created in N finds it. With
/// several replicas on one consumer each replica still writes one batch at a time, as before.
/// </para>
/// </summary>
public sealed class WriterBatchHandler(
    EventWriter writer,
    DeadLetterStore deadLetters,
    PendingUpdates pending,
    [FromKeyedServices(WriterModule.RetryPipelineKey)] ResiliencePipeline retry,
    WriterOptions options,
    WriterMetrics metrics,
    WriterStatus status,
    TimeProvider clock,
    ComputedFields computed,
    ILogger<WriterBatchHandler> logger) : IPreparingBatchHandler
{
    /// <summary>
    /// Parses the messages and enriches their events (computed fields only fill what is missing, from the event
    /// itself and the price table: no store read, so it may run while the previous batch is written).
    /// </summary>
    public object? Prepare(IReadOnlyList<IncomingMessage> batch) => new PreparedMessages(batch, IncomingEvents.ParseAndEnrich(batch, computed));

    public Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken) =>
        HandleAsync(batch, Prepare(batch), cancellationToken);

    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, object? prepared, CancellationToken cancellationToken)
    {
        var parsed = prepared is PreparedMessages mine && ReferenceEquals(mine.Batch, batch) ? mine.Parsed : ((PreparedMessages)Prepare(batch)!).Parsed;
        var unreadable = parsed.Where(p => p.Error is not null).ToList();
        if (unreadable.Count > 0)
        {
            // Retrying cannot fix a message that does not parse: keep it for a human, write the rest.
            var key = await deadLetters.WriteAsync(unreadable.Select(p => p.Message).ToList(), "unreadable message: " + unreadable[0].Error, cancellationToken);
            metrics.DeadLettered(unreadable.Count);
            status.DeadLettered();
            logger.LogError("{Count} unreadable messages dead-lettered to {Key}: {Error}", unreadable.Count, key, unreadable[0].Error);
        }

        var readable = parsed.Where(p => p.Error is null).ToList();
        var events = readable.SelectMany(p => p.Events).ToList();
        var updates = readable.SelectMany(p => p.Updates).ToList();
        if (events.Count == 0 && updates.Count == 0) return;
        metrics.Batch(readable.Count, events.Count + updates.Count);

        var batchIds = readable.Select(p => p.Message.Id).ToHashSet(StringComparer.Ordinal);
        var started = Stopwatch.GetTimestamp();
        List<DeferredMessage> deferred;
        // Shared by the attempts: rows an attempt inserted before it failed are counted once (see EventSchemaBatch).
        var schemas = new EventSchemaBatch();
        try
        {
            var result = await retry.ExecuteAsync(
                async token => await writer.WriteAsync(events, updates, token, u => pending.WaitsBehind(u, batchIds), schemas), cancellationToken);
            var oldest = readable.Min(p => p.PublishedAt);
            metrics.Inserted(result.Rows, Stopwatch.GetElapsedTime(started), oldest is { } t ? clock.GetUtcNow() - t : null);
            deferred = await SettleUnmatchedAsync(updates, result.Unmatched, cancellationToken);
            status.Written();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = $"{ex.GetType().Name}: {ex.Message}";
            var key = await deadLetters.WriteAsync(readable.Select(p => p.Message).ToList(), reason, cancellationToken);
            metrics.DeadLettered(readable.Count);
            status.DeadLettered();
            logger.LogError(ex, "Batch of {Messages} messages ({Events} events) dead-lettered to {Key} after the retry budget", readable.Count, events.Count, key);
            return;
        }

        if (deferred.Count > 0) throw new RetryLaterException(deferred, "updates of events not stored yet");
    }

    /// <summary>
    /// Updates that did not apply: deferred while younger than the wait limit, dead-lettered after it.
    /// Returns the messages to redeliver.
    /// </summary>
    private async Task<List<DeferredMessage>> SettleUnmatchedAsync(
        List<EventUpdateRow> updates, IReadOnlyList<EventUpdateRow> unmatched, CancellationToken cancellationToken)
    {
        var waiting = unmatched.ToHashSet(ReferenceEqualityComparer.Instance);
        pending.Settle(updates.Where(u => !waiting.Contains(u)));
        if (unmatched.Count == 0) return [];

        var now = clock.GetUtcNow();
        // No publish time (not ingestion's envelope): nothing bounds the wait, so it is not retried.
        bool Expired(EventUpdateRow u) => u.PublishedAt is not { } published || now - published >= options.UpdateWaitLimit;
        var byMessage = unmatched.GroupBy(u => u.Message, ReferenceEqualityComparer.Instance).ToList();
        var expired = byMessage.Where(m => m.Any(Expired)).ToList();

        // Log records for a span that never came are not lost: each is stored as its own event instead.
        var orphaned = expired.Where(m => m.All(u => u.LogMessages.Count > 0)).ToList();
        if (orphaned.Count > 0)
        {
            var orphans = orphaned.SelectMany(m => m).SelectMany(u => u.LogMessages.Where(l => l.OrphanEventJson is not null).Select(l => (u.ProjectId, l.OrphanEventJson!)))
                .Select(o => ReadOrphan(o.Item2, o.ProjectId)).ToList();
            await retry.ExecuteAsync(async token => await writer.WriteAsync(orphans, token), cancellationToken);
            pending.Settle(orphaned.SelectMany(m => m));
            logger.LogInformation("{Count} log records whose span never arrived stored as their own events (first span: {EventId})", orphans.Count, orphaned[0].First().EventId);
            expired = expired.Except(orphaned).ToList();
            byMessage = byMessage.Except(orphaned).ToList();
        }
        if (expired.Count > 0)
        {
            var messages = expired.Select(m => (IncomingMessage)m.Key!).ToList();
            var first = expired[0].First();
            var key = await deadLetters.WriteAsync(messages,
                $"update of event {first.EventId}: the event was not stored within {options.UpdateWaitLimit} of the update (unknown or deleted event)",
                cancellationToken);
            pending.Settle(expired.SelectMany(m => m));
            metrics.DeadLettered(messages.Count);
            status.DeadLettered();
            logger.LogWarning("{Count} updates whose event never arrived dead-lettered to {Key} (first: {EventId})", messages.Count, key, first.EventId);
        }

        var deferred = byMessage.Except(expired).ToList();
        pending.Defer(deferred.SelectMany(m => m), u => u.PublishedAt!.Value + options.UpdateWaitLimit);
        metrics.Deferred(deferred.Count);
        if (deferred.Count > 0)
            logger.LogInformation("{Count} update messages wait for their events (first: {EventId})", deferred.Count, deferred[0].First().EventId);
        return deferred.Select(m => new DeferredMessage((IncomingMessage)m.Key!, options.UpdateDelayFor(((IncomingMessage)m.Key!).DeliveryCount, m.All(u => u.LogMessages.Count > 0)))).ToList();
    }

    private static EventRow ReadOrphan(string json, string projectId)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return EventRowReader.Read(document.RootElement, projectId);
    }
}

/// <summary>What <see cref="WriterBatchHandler.Prepare"/> made of a batch: its messages parsed, their events enriched.</summary>
internal sealed record PreparedMessages(IReadOnlyList<IncomingMessage> Batch, List<ParsedMessage> Parsed);
