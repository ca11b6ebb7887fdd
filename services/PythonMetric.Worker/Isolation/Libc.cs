using System.Runtime.InteropServices;

namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>The few libc calls the isolation needs. glibc applies set*id to every thread of the process.</summary>
internal static partial class Libc
{
    public const ulong MsRdonly = 1, MsNosuid = 2, MsNodev = 4, MsNoexec = 8, MsRemount = 32, MsBind = 4096, MsPrivate = 1 << 18, MsRec = 16384;
    public const int RlimitCpu = 0, RlimitFsize = 1, RlimitCore = 4, RlimitNofile = 7, RlimitAs = 9;
    public const int PrSetDumpable = 4, PrSetNoNewPrivs = 38, PrGetNoNewPrivs = 39;
    public const int SigXfsz = 25;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string? fileSystemType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
    public static partial int SetGroups(nuint size, nint list);

    [LibraryImport("libc", EntryPoint = "setresgid", SetLastError = true)]
    public static partial int SetResGid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "setresuid", SetLastError = true)]
    public static partial int SetResUid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "getresuid", SetLastError = true)]
    public static partial int GetResUid(out uint real, out uint effective, out uint saved);

    [LibraryImport("libc", EntryPoint = "getresgid", SetLastError = true)]
    public static partial int GetResGid(out uint real, out uint effective, out uint saved);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ReadLink(string path, byte[] buffer, nint size);

    /// <summary>Ends the process at once: no runtime shutdown, no Python finalization.</summary>
    [LibraryImport("libc", EntryPoint = "_exit")]
    public static partial void Exit(int status);

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetParentPid();

    // prctl is variadic in glibc; the x86-64 calling convention passes these integer arguments the same way.
    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, in RLimit limit);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    public static partial nint Signal(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nint arg1, nint arg2, nint arg3);

    public static int Errno => Marshal.GetLastPInvokeError();
}
