namespace HoneyHive.PythonMetric.Pool;

/// <summary>Settings of the Python metric service (configuration section <c>PythonMetric</c>).</summary>
public sealed class PythonMetricOptions
{
    public const string Section = "PythonMetric";

    /// <summary>Debian's libpython3.11.so.1.0; ./hh writes it into the Host's settings.</summary>
    public string PythonLibrary { get; set; } = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";

    /// <summary>The dist-packages folder holding RestrictedPython 8.x (./hh fetches it from Debian sid).</summary>
    public string RestrictedPythonPath { get; set; } = "";

    /// <summary>Worker processes kept running.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>Modules each worker imports before it takes runs.</summary>
    public IList<string> Preload { get; set; } = ["numpy", "pandas"];

    /// <summary>Time limit of a run when the request names none.</summary>
    public int DefaultTimeoutMs { get; set; } = 5000;

    /// <summary>Longest time limit a run may ask for.</summary>
    public int MaxTimeoutMs { get; set; } = 60_000;

    /// <summary>Time a new worker has to say it is ready.</summary>
    public int StartupTimeoutMs { get; set; } = 30_000;

    public int MemoryMb { get; set; } = 512;
    public int CpuSeconds { get; set; } = 600;
    public int OpenFiles { get; set; } = 64;
    public int TempMb { get; set; } = 16;
    public int OutputBytes { get; set; } = 64 * 1024;

    /// <summary>The unprivileged user a worker started as root becomes (65534, nobody).</summary>
    public int WorkerUid { get; set; } = 65534;

    /// <summary>Folders hidden from workers (the data folder is added by the module).</summary>
    public IList<string> HiddenPaths { get; set; } = [];
}
