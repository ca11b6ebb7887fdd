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
        if (events.Count == 0) return;
        metrics.Batch(readable.Count, events.Count);

        var started = Stopwatch.GetTimestamp();
        try
        {
            var rows = await retry.ExecuteAsync(async token => await writer.WriteAsync(events, token), cancellationToken);
            var oldest = readable.Min(p => p.PublishedAt);
            metrics.Inserted(rows, Stopwatch.GetElapsedTime(started), oldest is { } t ? clock.GetUtcNow() - t : null);
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
