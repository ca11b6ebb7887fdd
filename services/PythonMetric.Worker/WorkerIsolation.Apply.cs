using HoneyHive.PythonMetric.Worker.Isolation;

namespace HoneyHive.PythonMetric.Worker;

public sealed partial record WorkerIsolation
{
    /// <summary>
    /// Applies the OS limits to this process after Python and the preloaded modules are in memory, and says
    /// which held. Order: <paramref name="warmUp"/> (one run through pythonnet, JSON and frames, so nothing has
    /// to be loaded later from a folder that is about to be hidden or unreadable to nobody, such as a cache under
    /// $HOME) → file system (needs root in the worker's own mount namespace) → rlimits (measured on the warmed-up process) → drop to the unprivileged user →
    /// seccomp (needs no_new_privs, and must come last: it refuses mount).
    /// </summary>
    public static WorkerIsolation Apply(WorkerLimits limits, Action warmUp)
    {
        var network = Namespaces.NoNetwork();
        var mountNamespace = WorkerMounts.OwnNamespace();
        warmUp();
        var (privateTmp, readOnlyRoot) = mountNamespace ? WorkerMounts.Apply(limits) : (false, false);
        var rlimits = ResourceLimits.Apply(limits);
        var unprivileged = PrivilegeDrop.Apply(limits.Uid);
        if (!unprivileged) throw new InvalidOperationException("The worker could not drop its privileges; it refuses to run user code as root.");
        var seccomp = SeccompFilter.Apply();
        return new(network, mountNamespace, readOnlyRoot, privateTmp, unprivileged, seccomp, rlimits);
    }
}
