namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>The worker's rlimits, set after its warm-up and before it drops root (so it cannot raise them again).</summary>
internal static class ResourceLimits
{
    /// <summary>Files the warmed-up worker holds beyond the ones it has open: room for what a run opens.</summary>
    private const int FileHeadroom = 16;

    public static bool Apply(WorkerLimits limits)
    {
        // .NET reserves a lot of address space up front (GC regions, thread stacks), so a fixed RLIMIT_AS would
        // either fail start-up or allow gigabytes: the limit is what is reserved now plus memory_mb.
        var addressSpace = VmSizeBytes() + (ulong)limits.MemoryMb * 1024 * 1024;
        // RLIMIT_CPU counts the whole process life, start-up included, so cpu_seconds is added to what start-up
        // used. Soft limit: SIGXCPU (ends the worker: the pool reports a resource limit); hard: SIGKILL soon after.
        var cpu = (ulong)(Math.Ceiling(CpuSecondsUsed()) + limits.CpuSeconds);
        // Never below what the warmed-up worker already holds, or the next open() of the runtime fails.
        var files = (ulong)Math.Max(limits.OpenFiles, HighestOpenFile() + 1 + FileHeadroom);
        var fileSize = (ulong)Math.Max(1, limits.TempMb) * 1024 * 1024;

        // Writing past RLIMIT_FSIZE sends SIGXFSZ, which would kill the worker; ignored, the write fails with
        // EFBIG and the user's code sees an OSError instead.
        Libc.Signal(Libc.SigXfsz, 1);

        // RLIMIT_NPROC is left alone: it counts the threads of every process of the uid, so it would make the
        // .NET threads of one worker depend on the others; seccomp refuses fork/clone of processes instead.
        return Set(Libc.RlimitAs, addressSpace, addressSpace)
            && Set(Libc.RlimitCpu, cpu, cpu + 5)
            && Set(Libc.RlimitNofile, files, files)
            && Set(Libc.RlimitFsize, fileSize, fileSize)
            && Set(Libc.RlimitCore, 0, 0);
    }

    private static bool Set(int resource, ulong current, ulong maximum)
    {
        var limit = new Libc.RLimit { Current = current, Maximum = maximum };
        return Libc.SetRLimit(resource, limit) == 0;
    }

    // /proc/self/stat fields 14 and 15 (utime, stime) in clock ticks (100 a second), after the ")" ending the name.
    private static double CpuSecondsUsed()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    private static ulong VmSizeBytes() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmSize:", StringComparison.Ordinal))
            .Select(l => ulong.Parse(l["VmSize:".Length..].Trim().Split(' ')[0]) * 1024).First();

    // RLIMIT_NOFILE bounds descriptor numbers, not their count.
    private static int HighestOpenFile() => Directory.GetFiles("/proc/self/fd").Select(f => int.Parse(Path.GetFileName(f))).Max();
}
