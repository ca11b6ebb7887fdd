using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HoneyHive.PythonMetric.Worker;

/// <summary>
/// Takes stdin and stdout for the frame protocol and points file descriptor 1 at stderr, so nothing
/// else in the process (Python's own stdout, a native library's printf) can write into a frame.
/// </summary>
internal static partial class ProtocolStreams
{
    public static (Stream Input, Stream Output) Claim()
    {
        var protocolOut = Dup(1);
        if (protocolOut < 0 || Dup2(2, 1) < 0) throw new IOException($"Could not move stdout aside (errno {Marshal.GetLastPInvokeError()}).");
        var input = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        var output = new FileStream(new SafeFileHandle(protocolOut, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        return (input, output);
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);
}
