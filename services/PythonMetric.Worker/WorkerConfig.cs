using System.Text.Json.Serialization;

namespace HoneyHive.PythonMetric.Worker;

/// <summary>What the pool tells a new worker in its first frame.</summary>
/// <param name="PythonLibrary">Path of libpython3.x.so.1.0 (Debian's libpython3.11).</param>
/// <param name="PythonPaths">Folders put first on sys.path (RestrictedPython's dist-packages from the cache, the harness folder).</param>
/// <param name="Preload">Modules imported before the worker says it is ready, so the first run that uses them does not pay for the import.</param>
/// <param name="Limits">The OS limits the worker puts on itself before it says it is ready.</param>
public sealed record WorkerConfig(
    [property: JsonPropertyName("python_library")] string PythonLibrary,
    [property: JsonPropertyName("python_paths")] IReadOnlyList<string> PythonPaths,
    [property: JsonPropertyName("preload")] IReadOnlyList<string> Preload,
    [property: JsonPropertyName("limits")] WorkerLimits Limits);

/// <param name="MemoryMb">Address space the worker may add after start-up (RLIMIT_AS over what start-up used).</param>
/// <param name="CpuSeconds">CPU time of the whole worker life (RLIMIT_CPU); the pool's wall-clock timeout ends a single run first.</param>
/// <param name="OpenFiles">RLIMIT_NOFILE.</param>
/// <param name="TempMb">Size of the private temp folder (a tmpfs at /tmp in the worker's mount namespace).</param>
/// <param name="OutputBytes">Largest result, printed output or message a run may return.</param>
/// <param name="Uid">The unprivileged user the worker becomes when started as root (65534, nobody).</param>
/// <param name="HiddenPaths">Folders covered by an empty read-only tmpfs in the worker's mount namespace (the data folder, home folders).</param>
public sealed record WorkerLimits(
    [property: JsonPropertyName("memory_mb")] int MemoryMb,
    [property: JsonPropertyName("cpu_seconds")] int CpuSeconds,
    [property: JsonPropertyName("open_files")] int OpenFiles,
    [property: JsonPropertyName("temp_mb")] int TempMb,
    [property: JsonPropertyName("output_bytes")] int OutputBytes,
    [property: JsonPropertyName("uid")] int Uid,
    [property: JsonPropertyName("hidden_paths")] IReadOnlyList<string> HiddenPaths);

/// <summary>The worker's answer to its config: ready or not, and which of the OS limits it could apply.</summary>
public sealed record WorkerHello(
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("python_version")] string? PythonVersion,
    [property: JsonPropertyName("isolation")] WorkerIsolation? Isolation,
    [property: JsonPropertyName("startup_ms")] double StartupMs);

/// <summary>Which protections hold in this worker (each false where the kernel or the user running the pool does not allow it).</summary>
public sealed partial record WorkerIsolation(
    [property: JsonPropertyName("network_namespace")] bool NetworkNamespace,
    [property: JsonPropertyName("mount_namespace")] bool MountNamespace,
    [property: JsonPropertyName("read_only_root")] bool ReadOnlyRoot,
    [property: JsonPropertyName("private_tmp")] bool PrivateTmp,
    [property: JsonPropertyName("unprivileged_user")] bool UnprivilegedUser,
    [property: JsonPropertyName("seccomp")] bool Seccomp,
    [property: JsonPropertyName("rlimits")] bool Rlimits);

[JsonSerializable(typeof(WorkerConfig))]
[JsonSerializable(typeof(WorkerHello))]
public sealed partial class WorkerJson : JsonSerializerContext;
