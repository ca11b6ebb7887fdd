namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>What the worker can observe about the namespaces it was started in.</summary>
internal static class Namespaces
{
    /// <summary>True/false when this process's namespace of that kind differs from its parent's (the pool); null when the parent's cannot be read.</summary>
    public static bool? DiffersFromParent(string kind)
    {
        try
        {
            var own = File.ResolveLinkTarget($"/proc/self/ns/{kind}", returnFinalTarget: false)?.LinkTarget;
            var parent = File.ResolveLinkTarget($"/proc/{Libc.GetParentPid()}/ns/{kind}", returnFinalTarget: false)?.LinkTarget;
            return own is null || parent is null ? null : own != parent;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the worker has a network namespace of its own with no interface but loopback (which
    /// unshare leaves down): then it has no network at all.
    /// </summary>
    public static bool NoNetwork()
    {
        if (DiffersFromParent("net") == false) return false;
        var interfaces = File.ReadAllLines("/proc/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).ToList();
        return interfaces.All(name => name == "lo");
    }
}
