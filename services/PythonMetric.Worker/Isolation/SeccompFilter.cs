using System.Runtime.InteropServices;

namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>
/// A small seccomp-bpf filter installed on every thread (TSYNC): the worker may do what CPython and .NET need
/// (memory, files, threads, signals to itself) but never start a program or process, open a network socket,
/// touch another process, or change its mounts and namespaces. Refusals answer EPERM, so user code sees an
/// ordinary PermissionError; clone3 answers ENOSYS so glibc falls back to clone, which the filter can inspect.
/// </summary>
internal static class SeccompFilter
{
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint X32SyscallBit = 0x40000000;
    private const uint RetAllow = 0x7FFF0000, RetKillProcess = 0x80000000, RetErrno = 0x00050000;
    private const uint Eperm = 1, Enosys = 38;
    private const uint CloneThread = 0x00010000, AfUnix = 1;
    private const int SysSeccomp = 317, SeccompSetModeFilter = 1, SeccompFilterFlagTsync = 1;

    // x86-64 system call numbers.
    private const uint Clone = 56, Fork = 57, Vfork = 58, Execve = 59, Kill = 62, Socket = 41, Ptrace = 101,
        Mount = 165, Umount2 = 166, Tkill = 200, Tgkill = 234, Unshare = 272, Prlimit64 = 302, Setns = 308,
        ProcessVmReadv = 310, ProcessVmWritev = 311, Execveat = 322, PidfdSendSignal = 424, IoUringSetup = 425,
        IoUringEnter = 426, IoUringRegister = 427, OpenTree = 428, MoveMount = 429, Fsopen = 430, Fsmount = 432,
        Fspick = 433, Clone3 = 435, PidfdGetfd = 438, MountSetattr = 442, Bpf = 321, PerfEventOpen = 298,
        Userfaultfd = 323, Pivot_root = 155, Chroot = 161;

    /// <summary>Always refused: programs, processes, other processes' memory, mounts and namespaces, and
    /// io_uring (its operations bypass this filter).</summary>
    private static readonly uint[] Refused =
    [
        Execve, Execveat, Fork, Vfork, Ptrace, ProcessVmReadv, ProcessVmWritev, Mount, Umount2, Unshare, Setns,
        Pivot_root, Chroot, OpenTree, MoveMount, Fsopen, Fsmount, Fspick, MountSetattr, Tkill, PidfdSendSignal,
        PidfdGetfd, IoUringSetup, IoUringEnter, IoUringRegister, Bpf, PerfEventOpen, Userfaultfd,
    ];

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFilter
    {
        public ushort Code;
        public byte JumpTrue;
        public byte JumpFalse;
        public uint K;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }

    public static unsafe bool Apply()
    {
        if (Libc.Prctl(Libc.PrSetNoNewPrivs, 1, 0, 0, 0) != 0) return false;
        var program = Build((uint)Libc.GetPid());
        fixed (SockFilter* filter = program)
        {
            var fprog = new SockFprog { Length = (ushort)program.Length, Filter = filter };
            return Libc.Syscall(SysSeccomp, SeccompSetModeFilter, SeccompFilterFlagTsync, (nint)(&fprog)) == 0;
        }
    }

    private static SockFilter[] Build(uint ownPid)
    {
        var p = new Assembler();
        p.Load(4);                                               // seccomp_data.arch
        p.JumpIfEqual(AuditArchX86_64, "syscall", "kill");      // another ABI (i386 int 0x80) has other numbers
        p.Label("syscall");
        p.Load(0);                                               // seccomp_data.nr
        p.JumpIfAtLeast(X32SyscallBit, "eperm", null);           // x32 numbers alias the x86-64 ones
        foreach (var nr in Refused) p.JumpIfEqual(nr, "eperm", null);
        p.JumpIfEqual(Clone3, "enosys", null);
        p.JumpIfEqual(Clone, "clone", null);
        p.JumpIfEqual(Socket, "socket", null);
        p.JumpIfEqual(Kill, "self", null);
        p.JumpIfEqual(Tgkill, "self", null);
        p.JumpIfEqual(Prlimit64, "prlimit", null);
        p.Return(RetAllow);

        p.Label("clone");                                        // threads yes, processes no
        p.Load(16);                                              // args[0] low word: the flags
        p.JumpIfAnySet(CloneThread, "allow", "eperm");
        p.Label("socket");                                       // AF_UNIX only (no network family at all)
        p.Load(16);
        p.JumpIfEqual(AfUnix, "allow", "eperm");
        p.Label("self");                                         // kill/tgkill: only this process (the other workers share its uid)
        p.Load(16);
        p.JumpIfEqual(ownPid, "allow", "eperm");
        p.Label("prlimit");                                      // own limits only (0 = self)
        p.Load(16);
        p.JumpIfEqual(0, "allow", null);
        p.JumpIfEqual(ownPid, "allow", "eperm");

        p.Label("allow");
        p.Return(RetAllow);
        p.Label("eperm");
        p.Return(RetErrno | Eperm);
        p.Label("enosys");
        p.Return(RetErrno | Enosys);
        p.Label("kill");
        p.Return(RetKillProcess);
        return p.Assemble();
    }

    /// <summary>Classic BPF with named jump targets (the kernel wants relative offsets; forward jumps only).</summary>
    private sealed class Assembler
    {
        private const ushort LdWAbs = 0x20, JeqK = 0x15, JgeK = 0x35, JsetK = 0x45, RetK = 0x06;
        private readonly List<(SockFilter Op, string? True, string? False)> ops = [];
        private readonly Dictionary<string, int> labels = [];

        public void Load(uint offset) => ops.Add((new SockFilter { Code = LdWAbs, K = offset }, null, null));
        public void Return(uint action) => ops.Add((new SockFilter { Code = RetK, K = action }, null, null));
        public void JumpIfEqual(uint value, string? whenTrue, string? whenFalse) => Jump(JeqK, value, whenTrue, whenFalse);
        public void JumpIfAtLeast(uint value, string? whenTrue, string? whenFalse) => Jump(JgeK, value, whenTrue, whenFalse);
        public void JumpIfAnySet(uint bits, string? whenTrue, string? whenFalse) => Jump(JsetK, bits, whenTrue, whenFalse);
        public void Label(string name) => labels[name] = ops.Count;

        private void Jump(ushort code, uint k, string? whenTrue, string? whenFalse) =>
            ops.Add((new SockFilter { Code = code, K = k }, whenTrue, whenFalse));

        public SockFilter[] Assemble() => ops.Select((op, index) =>
        {
            var filter = op.Op;
            filter.JumpTrue = Offset(index, op.True);
            filter.JumpFalse = Offset(index, op.False);
            return filter;
        }).ToArray();

        // null: fall through to the next instruction.
        private byte Offset(int from, string? label)
        {
            if (label is null) return 0;
            var offset = labels[label] - from - 1;
            if (offset is < 0 or > byte.MaxValue) throw new InvalidOperationException($"The jump to {label} is out of range.");
            return (byte)offset;
        }
    }
}
