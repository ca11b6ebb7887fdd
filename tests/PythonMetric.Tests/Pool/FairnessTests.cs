using System.Collections.Concurrent;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;
using static HoneyHive.PythonMetric.Tests.PoolTests;

namespace HoneyHive.PythonMetric.Tests.Pool;

/// <summary>One tenant's runaway code never delays another tenant beyond its own limit.</summary>
public sealed class FairnessTests
{
    [Fact]
    public async Task Honest_runs_of_one_project_all_finish_before_the_first_timeout_of_another_projects_twelve_loops()
    {
        await using var pool = NewPool(o => (o.Workers, o.Spares) = (2, 1));
        await pool.WarmAsync(default);
        var finished = new ConcurrentQueue<string>();

        async Task<PythonMetricRunResult> Tracked(string project, string source, int timeoutMs)
        {
            var result = await pool.RunAsync(Request(source, project: project, timeoutMs: timeoutMs), default);
            finished.Enqueue(project);
            return result;
        }

        var hostile = Enumerable.Range(0, 12).Select(_ => Tracked("a", Looping, 2000)).ToList();
        var honest = Enumerable.Range(0, 6).Select(_ => Tracked("b", Honest, 5000)).ToList();
        var results = await Task.WhenAll(hostile.Concat(honest));

        Assert.All(results.Take(12), r => Assert.Equal(PythonMetricErrorCodes.Timeout, r.ErrorCode));
        Assert.All(results.Skip(12), r => Assert.True(r.Success, r.Message));
        var order = finished.ToList();
        Assert.True(order.LastIndexOf("b") < order.IndexOf("a"), "order of completion: " + string.Join(",", order));
        Assert.Equal(12, pool.Stats.KilledForTimeout);
    }

    [Fact]
    public async Task A_project_over_its_queue_limit_is_refused_at_once_while_other_projects_run()
    {
        await using var pool = NewPool(o => (o.Workers, o.MaxQueuedPerProject) = (2, 2));
        using var stop = new CancellationTokenSource();
        using var firstQueued = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var running = pool.RunAsync(Request(Looping, project: "a", timeoutMs: 60_000), stop.Token);
        var queued1 = pool.RunAsync(Request(Looping, project: "a", timeoutMs: 60_000), firstQueued.Token);
        var queued2 = pool.RunAsync(Request(Looping, project: "a", timeoutMs: 60_000), stop.Token);

        var refused = await Assert.ThrowsAsync<PythonMetricBusyException>(() => pool.RunAsync(Request(Honest, project: "a"), default));
        Assert.Equal("a", refused.ProjectId);
        var other = await pool.RunAsync(Request(Honest, project: "b"), default);
        Assert.True(other.Success, other.Message);

        // A cancelled waiting run gives its place in the queue back.
        await firstQueued.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued1);
        var queued3 = pool.RunAsync(Request(Looping, project: "a", timeoutMs: 60_000), stop.Token);
        Assert.False(queued3.IsFaulted, queued3.Exception?.Message);

        await stop.CancelAsync();
        foreach (var run in new[] { running, queued2, queued3 }) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(1, pool.Stats.Cancelled);
    }

    [Fact]
    public async Task Waiting_runs_are_served_round_robin_across_projects_not_first_come_first_served()
    {
        var slots = new FairSlots(slots: 1, perProject: 1, maxQueued: 10);
        var holder = await slots.EnterAsync("x", default);
        var granted = new ConcurrentQueue<string>();
        var waiting = new List<Task>();
        foreach (var name in new[] { "a1", "a2", "a3", "b1", "c1", "b2" })
        {
            waiting.Add(Take(name));
            await Task.Yield();
        }

        async Task Take(string name)
        {
            using var lease = await slots.EnterAsync(name[..1], default);
            granted.Enqueue(name);
        }

        holder.Dispose();
        await Task.WhenAll(waiting);
        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"], granted);
    }

    [Fact]
    public async Task A_project_never_holds_more_than_its_share_of_the_slots()
    {
        var slots = new FairSlots(slots: 3, perProject: 2, maxQueued: 10);
        var first = await slots.EnterAsync("a", default);
        using var second = await slots.EnterAsync("a", default);
        var third = slots.EnterAsync("a", default);
        Assert.False(third.IsCompleted);
        using var other = await slots.EnterAsync("b", default);  // the slot a may not take is b's

        first.Dispose();
        using var granted = await third;
        Assert.True(third.IsCompletedSuccessfully);
    }
}
