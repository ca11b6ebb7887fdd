namespace HoneyHive.PythonMetric.Pool;

/// <summary>Settings of the Python metric service (configuration section <c>PythonMetric</c>).</summary>
public sealed class PythonMetricOptions
{
    public const string Section = "PythonMetric";

    /// <summary>Debian's libpython3.11.so.1.0; ./hh writes it into the Host's settings.</summary>
    public string PythonLibrary { get; set; } = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";

    /// <summary>The dist-packages folder holding RestrictedPython 8.x (./hh fetches it from Debian sid).</summary>
    public string RestrictedPythonPath { get; set; } = "";

    /// <summary>Runs at once: worker processes lent out at the same time.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>Ready workers kept beyond <see cref="Workers"/>, so a killed or recycled worker is replaced at once while a fresh one starts.</summary>
    public int Spares { get; set; } = 1;

    /// <summary>Workers one project may hold at once; 0 means max(1, Workers - 1), so another project always finds one.</summary>
    public int MaxWorkersPerProject { get; set; }

    /// <summary>Runs of one project waiting for a worker; one more is refused (<c>PythonMetricBusyException</c>, HTTP 429).</summary>
    public int MaxQueuedPerProject { get; set; } = 64;

    /// <summary>
    /// Runs after which a worker is replaced, so state one run leaves in the interpreter cannot last. Defence in
    /// depth (each run already gets fresh globals and no write reaches a module); a replacement costs about a
    /// CPU-second with numpy and pandas preloaded, so at 500 (the first default) recycling alone took more CPU
    /// than 2,000 runs/s leave (bench python: 390 runs/s at 500, see the closing note of issue 13).
    /// </summary>
    public int RunsPerWorker { get; set; } = 20_000;

    /// <summary>Start the workers when the module starts rather than on the first run.</summary>
    public bool WarmOnStart { get; set; } = true;

    /// <summary>Modules each worker imports before it takes runs.</summary>
    public IList<string> Preload { get; set; } = ["numpy", "pandas"];

    /// <summary>Time limit of a run when the request names none.</summary>
    public int DefaultTimeoutMs { get; set; } = 5000;

    /// <summary>Longest time limit a run may ask for.</summary>
    public int MaxTimeoutMs { get; set; } = 60_000;

    /// <summary>Time a new worker has to say it is ready.</summary>
    public int StartupTimeoutMs { get; set; } = 30_000;

    /// <summary>Address space a worker may add to what it reserved at start-up (RLIMIT_AS).</summary>
    public int MemoryMb { get; set; } = 512;

    /// <summary>CPU time of a worker's whole life (RLIMIT_CPU); the pool recycles a worker that has used most of it.</summary>
    public int CpuSeconds { get; set; } = 600;
    public int OpenFiles { get; set; } = 64;
    public int TempMb { get; set; } = 16;
    /// <summary>Largest result, printed output or message of a run.</summary>
    public int OutputBytes { get; set; } = 64 * 1024;

    /// <summary>The unprivileged user a worker started as root becomes (65534, nobody).</summary>
    public int WorkerUid { get; set; } = 65534;

    /// <summary>Folders hidden from workers (the module adds the data folder and $HOME).</summary>
    public IList<string> HiddenPaths { get; set; } = [];

    /// <summary>Folders put first on the workers' sys.path; empty means RestrictedPython's and the worker's own python/ harness.</summary>
    public IList<string> PythonPaths { get; set; } = [];

    /// <summary>The per-project limit in force (<see cref="MaxWorkersPerProject"/> or its default).</summary>
    public int ProjectLimit => MaxWorkersPerProject > 0 ? Math.Min(MaxWorkersPerProject, Math.Max(1, Workers)) : Math.Max(1, Workers - 1);
}
