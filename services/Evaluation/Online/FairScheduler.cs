namespace HoneyHive.Evaluation.Online;

/// <summary>
/// Runs a delivery's tasks with at most <see cref="OnlineEvaluationOptions.PerProjectConcurrency"/> of one project and at
/// most <see cref="OnlineEvaluationOptions.GlobalConcurrency"/> in the process (shared by concurrent deliveries) at once,
/// starting them round-robin across projects: a project with a thousand queued tasks takes one slot in turn like a project
/// with one, so its flood delays the others by at most a round, never by its whole backlog.
/// </summary>
public sealed class FairScheduler(OnlineEvaluationOptions options) : IDisposable
{
    private readonly SemaphoreSlim global = new(Math.Max(1, options.GlobalConcurrency));

    /// <summary>Runs every item (grouped by <paramref name="projectOf"/>) and returns when all are done; <paramref name="run"/> must not throw.</summary>
    public async Task RunAsync<T>(IReadOnlyList<T> items, Func<T, string> projectOf, Func<T, CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        var perProject = Math.Max(1, options.PerProjectConcurrency);
        var queues = items.GroupBy(projectOf, StringComparer.Ordinal).Select(g => new Queue<T>(g)).ToList();
        var runningOf = new int[queues.Count];
        var running = new Dictionary<Task, int>();
        var next = 0;
        while (running.Count > 0 || queues.Any(q => q.Count > 0))
        {
            // Start what the caps allow, one task per project in turn.
            var started = true;
            while (started)
            {
                started = false;
                for (var k = 0; k < queues.Count; k++)
                {
                    var i = (next + k) % queues.Count;
                    if (queues[i].Count == 0 || runningOf[i] >= perProject) continue;
                    if (!global.Wait(0, CancellationToken.None)) break;
                    var item = queues[i].Dequeue();
                    var task = RunOneAsync(item, run, cancellationToken);
                    // A run that completed at once returns the runtime's one cached completed task: a second such
                    // task would be the same key. It holds no slot anyway.
                    if (!task.IsCompleted)
                    {
                        runningOf[i]++;
                        running.Add(task, i);
                    }

                    next = (i + 1) % queues.Count;
                    started = true;
                    break;
                }
            }

            if (running.Count == 0)
            {
                // Other deliveries hold every global slot: wait for one, then choose again (fairly) what takes it.
                await global.WaitAsync(cancellationToken);
                global.Release();
                continue;
            }

            var done = await Task.WhenAny(running.Keys);
            runningOf[running[done]]--;
            running.Remove(done);
        }
    }

    private async Task RunOneAsync<T>(T item, Func<T, CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run(item, cancellationToken);
        }
        finally
        {
            global.Release();
        }
    }

    public void Dispose() => global.Dispose();
}
