using HoneyHive.Contracts.PythonMetrics;

namespace HoneyHive.PythonMetric.Pool;

/// <summary>
/// Who runs next: at most <c>slots</c> runs at once, at most <c>perProject</c> of them from one project, and
/// waiting runs served round-robin across projects (not first come, first served overall), so a project that
/// queues many runs delays only itself. Each project queues at most <c>maxQueued</c> runs.
/// </summary>
public sealed class FairSlots(int slots, int perProject, int maxQueued)
{
    private sealed class Project(string id)
    {
        public string Id { get; } = id;
        public int Running { get; set; }
        public LinkedList<TaskCompletionSource> Waiting { get; } = [];
        public bool InRing { get; set; }
    }

    private readonly Lock gate = new();
    private readonly Dictionary<string, Project> projects = new(StringComparer.Ordinal);
    private readonly Queue<Project> ring = new();
    private int free = slots;

    /// <summary>Waits for a slot for <paramref name="projectId"/>; dispose the lease to give it back.</summary>
    /// <exception cref="PythonMetricBusyException">The project's queue is full.</exception>
    public async Task<IDisposable> EnterAsync(string projectId, CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource> node;
        Project project;
        lock (gate)
        {
            project = ProjectOf(projectId);
            if (free > 0 && project.Running < perProject && project.Waiting.Count == 0)
            {
                Grant(project);
                return new Lease(this, project);
            }

            if (project.Waiting.Count >= maxQueued) throw PythonMetricBusyException.QueueFull(projectId, project.Waiting.Count);
            node = project.Waiting.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!project.InRing)
            {
                project.InRing = true;
                ring.Enqueue(project);
            }
        }

        using (cancellationToken.Register(() => Abandon(project, node)))
        {
            await node.Value.Task;
        }

        return new Lease(this, project);
    }

    private void Abandon(Project project, LinkedListNode<TaskCompletionSource> node)
    {
        lock (gate)
        {
            // Already granted (removed from the list): the caller got its slot and gives it back itself.
            if (node.List is null) return;
            project.Waiting.Remove(node);
            Forget(project);
        }

        node.Value.TrySetCanceled();
    }

    private void Release(Project project)
    {
        lock (gate)
        {
            free++;
            project.Running--;
            Dispatch();
            Forget(project);
        }
    }

    // Under the lock: hand free slots to waiting runs, one per project in turn.
    private void Dispatch()
    {
        var passed = 0;
        while (free > 0 && ring.Count > 0 && passed < ring.Count)
        {
            var project = ring.Dequeue();
            if (project.Waiting.Count == 0)
            {
                project.InRing = false;
                Forget(project);
                passed = 0;
                continue;
            }

            if (project.Running >= perProject)
            {
                ring.Enqueue(project);
                passed++;
                continue;
            }

            var waiter = project.Waiting.First!;
            project.Waiting.RemoveFirst();
            Grant(project);
            waiter.Value.TrySetResult();
            if (project.Waiting.Count > 0) ring.Enqueue(project);
            else project.InRing = false;
            passed = 0;
        }
    }

    private void Grant(Project project)
    {
        free--;
        project.Running++;
    }

    private Project ProjectOf(string id)
    {
        if (!projects.TryGetValue(id, out var project)) projects[id] = project = new Project(id);
        return project;
    }

    // Projects with nothing running or waiting are dropped, so the table holds only active tenants.
    private void Forget(Project project)
    {
        if (project.Running == 0 && project.Waiting.Count == 0 && !project.InRing) projects.Remove(project.Id);
    }

    private sealed class Lease(FairSlots owner, Project project) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.Release(project);
        }
    }
}
