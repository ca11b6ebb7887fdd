using System.Collections.Concurrent;
using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.WorkflowBackend;

/// <summary>
/// Hands leased work items to the connected workers (the SDK's GetWorkItems streams), round robin, within the
/// concurrency caps. A work item's completion token is its lease token. When a stream ends, the items it was given
/// and did not complete are released at once; at start, every lease of a previous process is released, so work a
/// killed process held is redone.
/// </summary>
internal sealed class WorkItemDispatcher(WorkflowStore store, IOptions<WorkflowBackendOptions> options, ILogger<WorkItemDispatcher> logger) : BackgroundService
{
    private readonly WorkflowBackendOptions settings = options.Value;
    private readonly Guid owner = Guid.NewGuid();
    private readonly ConcurrentDictionary<Guid, WorkerStream> streams = new();
    private readonly ConcurrentDictionary<Guid, (WorkerStream Stream, bool IsActivity)> outstanding = new();
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int activities;
    private int orchestrations;
    private int next;

    internal sealed class WorkerStream
    {
        public Guid Id { get; } = Guid.NewGuid();
        public Channel<WorkItem> Items { get; } = Channel.CreateUnbounded<WorkItem>();
    }

    /// <summary>Completes once the previous process's leases are released and dispatching has begun.</summary>
    public Task Ready => ready.Task;

    /// <summary>Completes at the next change of any instance (a turn committed, an instance started or stopped).</summary>
    public Task Changed => changed.Task;

    /// <summary>Something may be ready to dispatch, and waiters may look again.</summary>
    public void Signal()
    {
        wake.Writer.TryWrite(true);
        Interlocked.Exchange(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public WorkerStream Connect()
    {
        var stream = new WorkerStream();
        streams[stream.Id] = stream;
        Signal();
        return stream;
    }

    /// <summary>The worker went away: what it held and did not complete goes back to the queue.</summary>
    public async Task DisconnectAsync(WorkerStream stream)
    {
        streams.TryRemove(stream.Id, out _);
        stream.Items.Writer.TryComplete();
        var held = outstanding.Where(o => o.Value.Stream == stream).Select(o => o.Key).ToList();
        foreach (var token in held) Forget(token);
        try
        {
            await store.ReleaseAsync(held, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Not fatal: the leases expire, since this process renews only the leases it tracks.
            logger.LogWarning(ex, "Could not release {Count} work items of a disconnected worker", held.Count);
        }
        Signal();
    }

    /// <summary>A completion arrived for this token (whether or not the store accepted it).</summary>
    public void Forget(Guid token)
    {
        if (outstanding.TryRemove(token, out var item))
        {
            if (item.IsActivity) Interlocked.Decrement(ref activities);
            else Interlocked.Decrement(ref orchestrations);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await store.ReleaseAllLeasesAsync(stoppingToken);
        ready.TrySetResult();
        var lastRenewal = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            var sleep = settings.PollInterval;
            try
            {
                if (DateTime.UtcNow - lastRenewal > settings.LeaseDuration / 3)
                {
                    await store.RenewLeasesAsync(outstanding.Keys.ToArray(), settings.LeaseDuration, stoppingToken);
                    lastRenewal = DateTime.UtcNow;
                }
                if (!streams.IsEmpty)
                {
                    await DispatchAsync(stoppingToken);
                    if (await store.NextDueAsync(stoppingToken) is { } due && due - DateTime.UtcNow < sleep)
                    {
                        sleep = due - DateTime.UtcNow;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Workflow dispatch failed; retrying");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(sleep < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : sleep);
            try
            {
                await wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Poll tick or shutdown; the loop condition tells which.
            }
        }
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        var turns = await store.LeaseOrchestrationsAsync(owner, settings.MaxConcurrentOrchestrations - Volatile.Read(ref orchestrations),
            settings.LeaseDuration, settings.MaxEventsPerTurn, ct);
        foreach (var (request, token) in turns)
        {
            Interlocked.Increment(ref orchestrations);
            Send(new WorkItem { WorkflowRequest = request, CompletionToken = token.ToString() }, token, isActivity: false);
        }

        var calls = await store.LeaseActivitiesAsync(owner, settings.MaxConcurrentActivities - Volatile.Read(ref activities), settings.LeaseDuration, ct);
        foreach (var (request, token) in calls)
        {
            Interlocked.Increment(ref activities);
            Send(new WorkItem { ActivityRequest = request, CompletionToken = token.ToString() }, token, isActivity: true);
        }
    }

    private void Send(WorkItem item, Guid token, bool isActivity)
    {
        var candidates = streams.Values.ToArray();
        if (candidates.Length > 0)
        {
            var stream = candidates[(int)((uint)Interlocked.Increment(ref next) % candidates.Length)];
            outstanding[token] = (stream, isActivity);
            if (stream.Items.Writer.TryWrite(item)) return;
            outstanding.TryRemove(token, out _);
        }
        // No live worker took it: forget it and let the lease go back.
        if (isActivity) Interlocked.Decrement(ref activities);
        else Interlocked.Decrement(ref orchestrations);
        _ = store.ReleaseAsync([token], CancellationToken.None);
    }
}
