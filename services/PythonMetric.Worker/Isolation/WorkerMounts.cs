namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>
/// The worker's view of the file system, changed only inside its own mount namespace (the pool starts it
/// under <c>unshare --mount --propagation private</c>, so nothing here reaches the host): private size-limited
/// temp folders, empty read-only folders over the hidden paths, every other mount read-only.
/// </summary>
internal static class WorkerMounts
{
    private static readonly string[] TempFolders = ["/tmp", "/var/tmp", "/dev/shm"];

    /// <summary>
    /// True only when this process certainly has a mount namespace of its own: the pool said which namespace
    /// it is in itself (<see cref="Namespaces.PoolNamespacesVariable"/>) and ours is another. Anything less and
    /// nothing is mounted: as root in the machine's namespace these mounts would cover the machine's own /tmp
    /// and make its mounts read-only (it happened once, when an unreadable parent namespace was taken for a
    /// different one).
    /// </summary>
    public static bool OwnNamespace() => Namespaces.DiffersFromPool("mnt") && !Namespaces.SameAsInit("mnt");

    /// <returns>(private temp folders mounted, root and the other mounts read-only).</returns>
    public static (bool PrivateTmp, bool ReadOnlyRoot) Apply(WorkerLimits limits)
    {
        // Propagation private again, in case unshare was asked for another: our mounts must never travel back.
        if (Libc.Mount("none", "/", null, Libc.MsRec | Libc.MsPrivate, null) != 0) return (false, false);

        var hidden = limits.HiddenPaths.Where(Directory.Exists).Select(Path.GetFullPath).ToList();
        foreach (var path in hidden)
        {
            // An empty read-only tmpfs: the folder is there, its contents are not.
            if (Libc.Mount("tmpfs", path, "tmpfs", Libc.MsRdonly | Libc.MsNosuid | Libc.MsNodev | Libc.MsNoexec, "size=4k,mode=0555") != 0)
                throw new IOException($"Could not hide {path} (errno {Libc.Errno}).");
        }

        var owner = $"uid={limits.Uid},gid={limits.Uid}";
        var privateTmp = true;
        foreach (var folder in TempFolders.Where(Directory.Exists))
        {
            var size = folder == "/tmp" ? Math.Max(1, limits.TempMb) : 1;
            privateTmp &= Libc.Mount("tmpfs", folder, "tmpfs", Libc.MsNosuid | Libc.MsNodev | Libc.MsNoexec, $"size={size}m,mode=0700,{owner}") == 0;
        }

        return (privateTmp, RemountReadOnly());
    }

    /// <summary>Bind-remounts every mount but the temp folders read-only; true when at least "/" held.</summary>
    private static bool RemountReadOnly()
    {
        var root = false;
        foreach (var (mountPoint, options) in MountTable())
        {
            if (TempFolders.Contains(mountPoint)) continue;
            // Keep the flags the mount has: a remount that clears nosuid/nodev/noexec is refused, or worse, lifts them.
            var flags = Libc.MsRemount | Libc.MsBind | Libc.MsRdonly;
            if (options.Contains("nosuid")) flags |= Libc.MsNosuid;
            if (options.Contains("nodev")) flags |= Libc.MsNodev;
            if (options.Contains("noexec")) flags |= Libc.MsNoexec;
            var held = Libc.Mount("none", mountPoint, null, flags, null) == 0;
            if (mountPoint == "/") root = held;
        }

        return root && !IsWritable("/");
    }

    private static bool IsWritable(string folder) =>
        File.ReadLines("/proc/self/mountinfo").Select(ParseLine).Any(m => m.MountPoint == folder && m.Options.Contains("rw"));

    private static IEnumerable<(string MountPoint, string[] Options)> MountTable() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(ParseLine).ToList();

    // mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw"; field 5 is the mount
    // point (spaces as \040), field 6 the per-mount options.
    private static (string MountPoint, string[] Options) ParseLine(string line)
    {
        var fields = line.Split(' ');
        var mountPoint = fields[4].Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
        return (mountPoint, fields[5].Split(','));
    }
}
