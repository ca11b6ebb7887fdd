using System.Diagnostics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Writer.DeadLetters;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace HoneyHive.Writer;

/// <summary>
/// One consumed batch of <c>events.&gt;</c> messages → rows in <c>events</c>. Returns (and the batch is
/// acked) only when the rows are inserted or the batch is in the dead-letter store; throws only when
/// even the dead letter could not be written, so JetStream redelivers. Writes are retried with
/// exponential backoff and jitter first (<see cref="WriterModule.RetryPipelineKey"/>).
/// </summary>
public sealed class WriterBatchHandler(
    EventWriter writer,
    DeadLetterStore deadLetters,
    [FromKeyedServices(WriterModule.RetryPipelineKey)] ResiliencePipeline retry,
    WriterOptions options,
    WriterMetrics metrics,
    WriterStatus status,
    TimeProvider clock,
    ILogger<WriterBatchHandler> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        var parsed = batch.Select(IncomingEvents.Parse).ToList();
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

        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await retry.ExecuteAsync(async token => await writer.WriteAsync(events, updates, token), cancellationToken);
            var oldest = readable.Min(p => p.PublishedAt);
            metrics.Inserted(result.Rows, Stopwatch.GetElapsedTime(started), oldest is { } t ? clock.GetUtcNow() - t : null);
            if (result.Unmatched.Count > 0)
            {
                // An update of an event that does not exist (or was deleted): kept for a human, not retried.
                var messages = result.Unmatched.Select(u => u.Message).DistinctBy(m => m.Id).ToList();
                var key = await deadLetters.WriteAsync(messages, $"update of an unknown or deleted event: {result.Unmatched[0].EventId}", cancellationToken);
                metrics.DeadLettered(messages.Count);
                logger.LogWarning("{Count} updates of unknown events dead-lettered to {Key}", result.Unmatched.Count, key);
            }
            status.Written();
            if (options.Faults.CrashAfterInsert)
            {
                logger.LogCritical("Test fault Writer:Faults:CrashAfterInsert: killing the process before the ack");
                using var self = Process.GetCurrentProcess();
                self.Kill();
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = $"{ex.GetType().Name}: {ex.Message}";
            var key = await deadLetters.WriteAsync(readable.Select(p => p.Message).ToList(), reason, cancellationToken);
            metrics.DeadLettered(readable.Count);
            status.DeadLettered();
            logger.LogError(ex, "Batch of {Messages} messages ({Events} events) dead-lettered to {Key} after the retry budget", readable.Count, events.Count, key);
        }
    }
}
