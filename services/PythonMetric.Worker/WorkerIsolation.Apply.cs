namespace HoneyHive.PythonMetric.Worker;

public sealed partial record WorkerIsolation
{
    /// <summary>
    /// Applies the OS limits to this process after Python and the preloaded modules are in memory, and
    /// says which held. Foundation only: nothing is applied yet (the isolation work fills this in).
    /// </summary>
    public static WorkerIsolation Apply(WorkerLimits limits) =>
        new(false, false, false, false, false, false, false);
}
