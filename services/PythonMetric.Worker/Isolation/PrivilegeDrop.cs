namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>Becomes the unprivileged user (nobody) and makes sure it cannot come back.</summary>
internal static class PrivilegeDrop
{
    /// <summary>
    /// As root: no supplementary groups, gid and uid <paramref name="uid"/> (nobody and nogroup share 65534),
    /// then verified. Not root: nothing to drop. True when the worker now runs without privileges.
    /// </summary>
    public static bool Apply(int uid)
    {
        var id = (uint)uid;
        if (Libc.GetUid() != 0) return true;
        // Order matters: groups and gid need the privileges the uid change takes away.
        if (Libc.SetGroups(0, 0) != 0 || Libc.SetResGid(id, id, id) != 0 || Libc.SetResUid(id, id, id) != 0)
            return RootOnlyInsideOwnUserNamespace();
        // A uid change clears dumpable already; said again because it is what keeps the other workers (same
        // uid) from reading this one's memory through /proc/<pid>/mem or ptrace.
        Libc.Prctl(Libc.PrSetDumpable, 0, 0, 0, 0);
        return Verify(id);
    }

    private static bool Verify(uint id)
    {
        if (Libc.GetResUid(out var r, out var e, out var s) != 0 || r != id || e != id || s != id) return false;
        if (Libc.GetResGid(out var gr, out var ge, out var gs) != 0 || gr != id || ge != id || gs != id) return false;
        if (Libc.SetResUid(0, 0, 0) == 0) return false;
        return CapabilitiesOf("CapEff") == 0 && CapabilitiesOf("CapPrm") == 0;
    }

    /// <summary>
    /// Started with <c>unshare --user --map-root-user</c> by an unprivileged pool: uid 0 here is the pool's own
    /// unprivileged user outside (uid_map "0 1000 1"), and nobody is not mapped, so the drop cannot happen.
    /// </summary>
    private static bool RootOnlyInsideOwnUserNamespace()
    {
        var map = File.ReadAllText("/proc/self/uid_map").Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return map.Length >= 3 && map[0] == "0" && map[1] != "0";
    }

    private static ulong CapabilitiesOf(string field) =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(l => Convert.ToUInt64(l[(field.Length + 1)..].Trim(), 16)).DefaultIfEmpty(ulong.MaxValue).First();
}
