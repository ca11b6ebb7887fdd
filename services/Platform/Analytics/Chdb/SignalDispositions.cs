using System.Runtime.InteropServices;

namespace HoneyHive.Platform.Analytics.Chdb;

/// <summary>
/// Keeps the .NET runtime's signal handlers across chdb_connect. The engine installs its own
/// handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGTSTP, SIGSYS and
/// SIGRTMIN when it boots; with them in place the first NullReferenceException anywhere in the
/// process kills it (SIGSEGV no longer reaches the runtime), and SIGRTMIN is the runtime's
/// thread-activation signal. chdb_set_signal_handlers_enabled(0) is no remedy: in chDB 26.5 it
/// resets the handlers to SIG_DFL at once, the runtime's included. So: capture every
/// disposition before connecting and put back those the engine changed. What the engine loses
/// is its crash reporter and system.stack_trace (which signals threads with SIGRTMIN).
/// </summary>
internal static unsafe partial class SignalDispositions
{
    private const int LastSignal = 64; // SIGRTMAX on Linux
    private const int SlotSize = 256; // > sizeof(struct sigaction) (152 on x86_64 glibc)

    public static byte[]? Capture()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var saved = new byte[(LastSignal + 1) * SlotSize];
        fixed (byte* slots = saved)
        {
            for (var signal = 1; signal <= LastSignal; signal++)
                _ = sigaction(signal, null, slots + signal * SlotSize);
        }

        return saved;
    }

    /// <summary>Restores each signal whose handler differs from <paramref name="saved"/>; returns how many.</summary>
    public static int RestoreChanged(byte[]? saved)
    {
        if (saved is null) return 0;
        var restored = 0;
        var current = stackalloc byte[SlotSize];
        fixed (byte* slots = saved)
        {
            for (var signal = 1; signal <= LastSignal; signal++)
            {
                var before = slots + signal * SlotSize;
                if (sigaction(signal, null, current) != 0) continue;
                // The handler pointer is the first field of struct sigaction.
                if (*(nint*)current == *(nint*)before) continue;
                if (sigaction(signal, before, null) == 0) restored++;
            }
        }

        return restored;
    }

    [LibraryImport("libc", EntryPoint = "sigaction")]
    private static partial int sigaction(int signal, byte* action, byte* oldAction);
}
