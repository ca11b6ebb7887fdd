using HoneyHive.Evaluation.Online;

namespace HoneyHive.Evaluation.Tests.Online;

/// <summary>
/// The scheduler's start order, with each task held until the test lets it finish: no Python, no store, no timing.
/// The worker-level flood test checks the same property through the real evaluator, where store latency blurs it.
/// </summary>
public sealed class FairSchedulerTests
{
    [Fact]
    public async Task A_flood_listed_first_takes_turns_with_another_project_instead_of_running_its_backlog_first()
    {
        using var scheduler = new FairScheduler(new OnlineEvaluationOptions { PerProjectConcurrency = 2, GlobalConcurrency = 2 });
        var items = Enumerable.Range(0, 12).Select(i => ("flood", i)).Concat(Enumerable.Range(0, 2).Select(i => ("other", i))).ToList();
        var starts = new List<string>();
        var finishes = new Dictionary<(string, int), TaskCompletionSource>();
        var startedSignal = new SemaphoreSlim(0);
        foreach (var item in items) finishes[item] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<(string, int)>();

        var run = scheduler.RunAsync(items, item => item.Item1, async (item, _) =>
        {
            lock (starts)
            {
                starts.Add(item.Item1);
                order.Add(item);
            }
            startedSignal.Release();
            await finishes[item].Task;
        }, CancellationToken.None);

        // Two slots: two start at once. Then let the oldest running task finish, one at a time, and wait for the next start.
        for (var i = 0; i < 2; i++) Assert.True(await startedSignal.WaitAsync(TimeSpan.FromSeconds(30)), "the first two tasks never started");
        for (var finished = 0; finished < items.Count; finished++)
        {
            (string, int) oldest;
            lock (starts) oldest = order[finished];
            finishes[oldest].SetResult();
            if (finished + 2 < items.Count)
                Assert.True(await startedSignal.WaitAsync(TimeSpan.FromSeconds(30)), $"no task started after task {finished + 1} finished");
        }
        await run;

        // First come first served would start the other project's two tasks 13th and 14th.
        Assert.Equal(["flood", "other", "flood", "other", .. Enumerable.Repeat("flood", 10)], starts);
    }

    [Fact]
    public async Task Tasks_that_complete_at_once_all_run_and_hold_no_slot()
    {
        // A run that completes synchronously yields the runtime's one cached completed task, once per item.
        using var scheduler = new FairScheduler(new OnlineEvaluationOptions { PerProjectConcurrency = 1, GlobalConcurrency = 1 });
        var items = Enumerable.Range(0, 6).Select(i => (Project: i % 2 == 0 ? "p1" : "p2", Index: i)).ToList();
        var ran = new List<int>();

        await scheduler.RunAsync(items, item => item.Project, (item, _) =>
        {
            ran.Add(item.Index);
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal(items.Select(i => i.Index).Order(), ran.Order());
        // Every slot came back: a later delivery runs as well.
        var after = false;
        await scheduler.RunAsync([("p1", 99)], item => item.Item1, async (_, _) => { await Task.Yield(); after = true; }, CancellationToken.None);
        Assert.True(after);
    }
}
