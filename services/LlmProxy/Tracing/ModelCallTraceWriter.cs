using System.Threading.Channels;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using HoneyHive.LlmProxy.Calls;
using Microsoft.Extensions.Options;

namespace HoneyHive.LlmProxy.Tracing;

/// <summary>Tracing settings (configuration section <c>LlmProxy:Tracing</c>).</summary>
public sealed class TracingOptions
{
    public const string Section = "LlmProxy:Tracing";

    /// <summary>Finished calls waiting to be published; beyond it a trace is dropped, and logged as an error.</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>Events published in one go (one message per project, split further by the publisher's size limit).</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>Longest string value kept in a trace (a message's content, a base64 image); longer ones are clipped and flagged.</summary>
    public int MaxValueLength { get; set; } = 64 * 1024;

    /// <summary>Longest wait between two attempts to publish a batch the message log refused.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Turns finished calls into model events and publishes them with ingestion's <see cref="EventBatchPublisher"/>, so
/// the Writer stores them like any other event (and in Dapr mode they go over the sidecar's pub/sub like ingestion's).
/// <see cref="Trace"/> only queues the call: a caller never waits on, nor fails because of, its trace. One loop drains
/// the queue in batches and returns to it only once the message log has acknowledged the batch, retrying with backoff
/// while the log is down; shutting down stops new traces and drains the queue for as long as the host allows. A trace
/// that is lost after all (queue full, shutdown cut short) is logged as an error with the count, never dropped silently.
/// </summary>
public sealed class ModelCallTraceWriter : IModelCallTracer, IHostedService, IAsyncDisposable
{
    private readonly Channel<ModelCall> queue;
    private readonly EventBatchPublisher publisher;
    private readonly TracingOptions options;
    private readonly IngestLimits limits;
    private readonly ILogger<ModelCallTraceWriter> logger;
    private readonly CancellationTokenSource abandon = new();
    private Task? loop;

    public ModelCallTraceWriter(EventBatchPublisher publisher, IOptions<TracingOptions> options, ILogger<ModelCallTraceWriter> logger)
    {
        this.publisher = publisher;
        this.options = options.Value;
        this.logger = logger;
        limits = new IngestLimits { MaxValueLength = this.options.MaxValueLength };
        queue = Channel.CreateBounded<ModelCall>(new BoundedChannelOptions(Math.Max(1, this.options.Capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of evicting an older trace unseen
        });
    }

    /// <summary>Traces published (acknowledged by the message log) since start.</summary>
    public long Published => Interlocked.Read(ref published);

    /// <summary>Traces dropped since start (queue full, or still queued when shutdown ran out of time).</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    private long published;
    private long dropped;

    public void Trace(ModelCall call)
    {
        if (queue.Writer.TryWrite(call)) return;
        Interlocked.Increment(ref dropped);
        logger.LogError("Model call trace dropped for project {ProjectId}: the trace queue is full ({Capacity}) or closed; {Dropped} dropped so far",
            call.Scope.ProjectId, options.Capacity, Dropped);
    }

    public async Task TraceDurablyAsync(ModelCall call, CancellationToken cancellationToken)
    {
        await PublishAsync([call], cancellationToken);
        Interlocked.Increment(ref published);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop = Task.Run(() => RunAsync(abandon.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Closes the queue and publishes what is in it, until <paramref name="cancellationToken"/> (the host's shutdown timeout) fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        if (loop is null) return;
        await using (cancellationToken.Register(abandon.Cancel))
        {
            await loop;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<ModelCall>(options.MaxBatch);
        try
        {
            while (await queue.Reader.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < options.MaxBatch && queue.Reader.TryRead(out var call)) batch.Add(call);
                await PublishAsync(batch, cancellationToken);
                Interlocked.Add(ref published, batch.Count);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var lost = batch.Count;
            while (queue.Reader.TryRead(out _)) lost++;
            Interlocked.Add(ref dropped, lost);
            if (lost > 0) logger.LogError("Shutdown ran out of time with {Lost} model call traces unpublished; they are lost", lost);
        }
    }

    /// <summary>Publishes the batch, one call per project, retrying until the message log acknowledges all of it.</summary>
    private async Task PublishAsync(List<ModelCall> batch, CancellationToken cancellationToken)
    {
        // Built once, so a retry publishes the same bytes and the message log's deduplication drops a repeat.
        var events = new List<EventRecord>(batch.Count);
        foreach (var call in batch)
        {
            try
            {
                events.Add(ModelCallEvents.From(call, limits));
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
            {
                Interlocked.Increment(ref dropped);
                logger.LogError(e, "A model call of project {ProjectId} could not be turned into an event; its trace is lost", call.Scope.ProjectId);
            }
        }
        foreach (var project in events.GroupBy(e => e.ProjectId, StringComparer.Ordinal))
        {
            var records = project.ToList();
            var delay = TimeSpan.FromMilliseconds(100);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await publisher.PublishAsync(project.Key, records, cancellationToken);
                    break;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Every failure is retried: the message log down (MessageLogUnavailableException), a timeout, a sidecar
                    // restarting. The events are bounded in size, so no batch is refused for what it holds.
                    logger.LogWarning(e, "Publishing {Count} model call traces of project {ProjectId} failed (attempt {Attempt}); retrying in {Delay}",
                        records.Count, project.Key, attempt, delay);
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));
                }
            }
        }
    }

    /// <summary>Idempotent: the container disposes this once per registration it is resolved through (tracer, hosted service).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        await abandon.CancelAsync();
        if (loop is not null) await loop;
        abandon.Dispose();
    }

    private int disposed;
}
