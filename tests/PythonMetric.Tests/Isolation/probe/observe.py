# Run by IsolationTests as plain Python inside a worker: tries what user code must not be able to do and
# reports, for each attempt, "ok:<value>" or "<ExceptionName>:<errno>".
def metric(event):
    import os, socket, subprocess, resource

    seen = {}

    def attempt(name, action):
        try:
            seen[name] = "ok:" + str(action())
        except BaseException as e:
            seen[name] = "%s:%s" % (type(e).__name__, getattr(e, "errno", ""))

    def tcp():
        with socket.create_connection(("127.0.0.1", event["port"]), timeout=1):
            return "connected"

    def fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        return pid

    def write(path):
        with open(path, "w") as f:
            f.write("x")
        return path

    def fill_tmp():
        total = 0
        try:
            for i in range(1000):
                with open("/tmp/fill-%d" % i, "wb") as f:
                    f.write(b"x" * (1024 * 1024))
                total += 1024 * 1024
        except OSError as e:
            return "%d:%s" % (total, e.errno)
        finally:
            for name in os.listdir("/tmp"):
                if name.startswith("fill-"):
                    os.remove("/tmp/" + name)
        return "%d:none" % total

    def capabilities():
        with open("/proc/self/status") as f:
            return [line.split()[1] for line in f if line.startswith(("CapEff", "CapPrm", "CapInh", "CapAmb"))]

    attempt("tcp", tcp)
    attempt("inet_socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    attempt("inet6_socket", lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
    attempt("unix_socket", lambda: socket.socket(socket.AF_UNIX).close())
    attempt("fork", fork)
    attempt("subprocess", lambda: subprocess.run(["true"]).returncode)
    attempt("exec", lambda: os.execv("/bin/true", ["true"]))
    attempt("kill_parent", lambda: os.kill(os.getppid(), 0))

    def raw_syscall(number, *args):
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.syscall(number, *args)
        return "%d:%d" % (result, ctypes.get_errno())

    seen["ptrace_traceme"] = raw_syscall(101, 0, 0, 0, 0)   # allowed to any process without the filter
    seen["clone3"] = raw_syscall(435, 0, 0)                  # ENOSYS, so glibc falls back to clone
    seen["io_uring_setup"] = raw_syscall(425, 1, 0)
    seen["ids"] = [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()]
    seen["capabilities"] = capabilities()
    attempt("write_root", lambda: write("/probe-root-write"))
    attempt("write_usr", lambda: write("/usr/probe-write"))
    attempt("write_tmp", lambda: write("/tmp/" + event["marker"] + "-own"))
    seen["marker_visible"] = os.path.exists("/tmp/" + event["marker"])
    seen["fill_tmp"] = fill_tmp()
    # None when the folder is not there at all (a checkout under /tmp: the private /tmp covers it).
    seen["hidden"] = os.listdir(event["hidden"]) if os.path.isdir(event["hidden"]) else None
    attempt("write_hidden", lambda: write(event["hidden"] + "/x"))
    seen["rlimit_as"] = resource.getrlimit(resource.RLIMIT_AS)[0]
    seen["rlimit_cpu"] = resource.getrlimit(resource.RLIMIT_CPU)[0]
    seen["rlimit_nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    seen["rlimit_core"] = resource.getrlimit(resource.RLIMIT_CORE)[0]
    attempt("big_allocation", lambda: len(bytearray(4 * 1024 ** 3)))
    seen["pid"] = os.getpid()
    return seen
