namespace HoneyHive.PythonMetric.Pool;

/// <summary>What the pool has done since it began (for tests and the bench); a snapshot, never updated.</summary>
/// <param name="Started">Worker processes started (replacements included).</param>
/// <param name="Runs">Runs handed to a worker.</param>
/// <param name="KilledForTimeout">Workers killed because a run passed its time limit.</param>
/// <param name="Crashed">Workers that died during a run (signal, resource limit, exit).</param>
/// <param name="Recycled">Workers retired after <c>RunsPerWorker</c> runs or near their CPU time limit.</param>
/// <param name="Cancelled">Workers killed because the caller cancelled a run in flight.</param>
/// <param name="Ready">Workers started and waiting for a run now.</param>
public sealed record PythonWorkerPoolStats(int Started, int Runs, int KilledForTimeout, int Crashed, int Recycled, int Cancelled, int Ready);
