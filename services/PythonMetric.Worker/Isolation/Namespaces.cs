namespace HoneyHive.PythonMetric.Worker.Isolation;

/// <summary>What the worker can observe about the namespaces it was started in.</summary>
public static class Namespaces
{
    /// <summary>
    /// Set by the pool when it started the worker under unshare: the pool's own namespaces, as their
    /// /proc/self/ns links read ("mnt:[4026531832],net:[4026531840]"). A process's own links are always
    /// readable; its parent's may not be (seen here: root refused on another process's ns links), so the
    /// comparison is made against what the pool says, never guessed.
    /// </summary>
    public const string PoolNamespacesVariable = "HH_POOL_NAMESPACES";

    /// <summary>True when this process's namespace of that kind is not the pool's; false when it is, or when the pool said nothing.</summary>
    public static bool DiffersFromPool(string kind)
    {
        var pool = Environment.GetEnvironmentVariable(PoolNamespacesVariable)?.Split(',')
            .FirstOrDefault(link => link.StartsWith(kind + ":", StringComparison.Ordinal));
        var own = Link(kind);
        return pool is not null && own is not null && own != pool;
    }

    /// <summary>
    /// True when pid 1's namespace of that kind can be read and is ours: a second, independent reason never to
    /// mount (pid 1's links may be unreadable, even to root; then this says nothing).
    /// </summary>
    public static bool SameAsInit(string kind)
    {
        var init = Link(kind, "/proc/1");
        return init is not null && init == Link(kind);
    }

    /// <summary>This process's namespaces in the form of <see cref="PoolNamespacesVariable"/>; the pool sends its own.</summary>
    public static string Current() => string.Join(',', new[] { "mnt", "net" }.Select(kind => Link(kind) ?? ""));

    // readlink(2) itself: the /proc/self/ns entries are "magic" links that FileSystemInfo.LinkTarget does not report.
    private static string? Link(string kind, string process = "/proc/self")
    {
        var buffer = new byte[256];
        var length = Libc.ReadLink($"{process}/ns/{kind}", buffer, buffer.Length);
        return length > 0 ? System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length) : null;
    }

    /// <summary>
    /// True when the worker has a network namespace of its own with no interface but loopback (which
    /// unshare leaves down): then it has no network at all.
    /// </summary>
    public static bool NoNetwork()
    {
        if (!DiffersFromPool("net")) return false;
        var interfaces = File.ReadAllLines("/proc/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).ToList();
        return interfaces.All(name => name == "lo");
    }
}
