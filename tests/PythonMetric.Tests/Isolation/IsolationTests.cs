using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.PythonMetric.Pool;
using HoneyHive.PythonMetric.Worker;

namespace HoneyHive.PythonMetric.Tests.Isolation;

/// <summary>
/// Each OS layer of a worker, proven without RestrictedPython in the way: the worker's harness is the test
/// probe (plain Python), and observe.py tries, from inside the worker, what user code must not be able to do.
/// </summary>
public sealed class IsolationTests(ObservedWorker observed) : IClassFixture<ObservedWorker>
{
    private const int Nobody = ObservedWorker.Nobody;
    private const int TempMb = ObservedWorker.TempMb;
    private readonly WorkerProcess worker = observed.Worker;
    private readonly JsonObject seen = observed.Seen;
    private readonly TcpListener listener = observed.Listener;
    private readonly string hidden = observed.Hidden;

    [Fact]
    public void The_hello_says_every_protection_holds_on_this_machine()
    {
        var isolation = worker.Hello.Isolation!;
        Assert.Equal(new WorkerIsolation(true, true, true, true, true, true, true), isolation);
        Assert.NotEmpty(WorkerLauncher.UnsharePrefix);
    }

    [Fact]
    public void The_worker_has_no_network_not_even_the_hosts_loopback()
    {
        // Control: the listener is reachable from the test process itself.
        using (var client = new TcpClient()) client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        Assert.StartsWith("PermissionError", Text("tcp"));
        Assert.Equal("PermissionError:1", Text("inet_socket"));
        Assert.Equal("PermissionError:1", Text("inet6_socket"));
        Assert.Equal("ok:None", Text("unix_socket"));
    }

    [Fact]
    public void The_worker_cannot_start_processes_or_programs_or_signal_other_processes()
    {
        Assert.Equal("PermissionError:1", Text("fork"));
        Assert.Equal("PermissionError:1", Text("subprocess"));
        Assert.Equal("PermissionError:1", Text("exec"));
        Assert.Equal("PermissionError:1", Text("kill_parent"));
    }

    [Fact]
    public void The_seccomp_filter_refuses_ptrace_and_io_uring_and_answers_clone3_with_enosys()
    {
        Assert.Equal("-1:1", Text("ptrace_traceme"));
        Assert.Equal("-1:1", Text("io_uring_setup"));
        Assert.Equal("-1:38", Text("clone3"));
    }

    [Fact]
    public void The_worker_runs_as_nobody_without_groups_or_capabilities()
    {
        Assert.Equal($"[{Nobody},{Nobody},{Nobody},{Nobody},[]]", seen["ids"]!.ToJsonString());
        Assert.Equal(["0000000000000000", "0000000000000000", "0000000000000000", "0000000000000000"],
            seen["capabilities"]!.AsArray().Select(c => (string)c!));
    }

    [Fact]
    public void The_file_system_is_read_only_but_a_private_size_limited_tmp()
    {
        Assert.StartsWith("OSError:30", Text("write_root"));  // EROFS
        Assert.StartsWith("OSError:30", Text("write_usr"));
        Assert.Equal($"ok:/tmp/{observed.Marker}-own", Text("write_tmp"));
        Assert.False(File.Exists($"/tmp/{observed.Marker}-own"), "The worker's /tmp leaked into the host's.");
        Assert.False((bool)seen["marker_visible"]!);
        var (written, errno) = (long.Parse(Text("fill_tmp").Split(':')[0]), Text("fill_tmp").Split(':')[1]);
        Assert.True(written <= TempMb * 1024L * 1024, $"wrote {written} bytes into a {TempMb} MB /tmp");
        Assert.Contains(errno, new[] { "28", "27" }); // ENOSPC, or EFBIG at RLIMIT_FSIZE
    }

    [Fact]
    public void Hidden_folders_show_the_worker_nothing_and_cannot_be_written()
    {
        if (hidden.StartsWith("/tmp/", StringComparison.Ordinal))
        {
            // The checkout lives under /tmp (a clone made there): the worker's private /tmp covers the whole
            // folder, so it is not there at all, which hides it as well.
            Assert.Null(seen["hidden"]);
            Assert.StartsWith("FileNotFoundError:2", Text("write_hidden"));
        }
        else
        {
            Assert.Empty(seen["hidden"]!.AsArray());
            Assert.StartsWith("OSError:30", Text("write_hidden")); // EROFS
        }

        Assert.True(File.Exists(Path.Combine(hidden, "secret.txt")), "The host's own view of the folder must be untouched.");
    }

    [Fact]
    public async Task Rlimits_are_set_and_a_big_allocation_fails_while_the_worker_lives_on()
    {
        Assert.True((long)seen["rlimit_as"]! > 0);
        // cpu_seconds (120) on top of what start-up used.
        Assert.InRange((int)seen["rlimit_cpu"]!, 121, 130);
        // open_files (64), or just above the highest descriptor the warmed-up worker holds: far below the usual 1024+.
        Assert.InRange((int)seen["rlimit_nofile"]!, 64, 512);
        Assert.Equal(0, (int)seen["rlimit_core"]!);
        Assert.Equal("MemoryError:", Text("big_allocation"));

        var pid = await ObservedWorker.RunAsync(worker, "def metric(event):\n    import os\n    return os.getpid()\n", []);
        Assert.Equal((int)seen["pid"]!, (int)pid);
        Assert.Equal(worker.ProcessId, (int)pid);
    }

    private string Text(string key) => (string)seen[key]!;
}

/// <summary>One probe worker for the class, with observe.py run once in it (a worker start costs a second).</summary>
public sealed class ObservedWorker : IAsyncLifetime
{
    public const int Nobody = 65534;
    public const int TempMb = 4;
    private const int MemoryMb = 256;
    private static readonly string ProbeFolder = Path.Combine(AppContext.BaseDirectory, "Isolation", "probe");

    // Outside /tmp: the worker's private /tmp would cover a folder there anyway.
    public string Hidden { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "hidden-" + Guid.NewGuid().ToString("N"))).FullName;
    public string Marker { get; } = "hh-marker-" + Guid.NewGuid().ToString("N");
    public TcpListener Listener { get; } = new(IPAddress.Loopback, 0);
    public WorkerProcess Worker { get; private set; } = null!;
    public JsonObject Seen { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(Hidden, "secret.txt"), "host data");
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), Marker), "in the host's /tmp");
        Listener.Start();
        Worker = await StartProbeWorkerAsync([Hidden]);
        var @event = new JsonObject { ["port"] = ((IPEndPoint)Listener.LocalEndpoint).Port, ["marker"] = Marker, ["hidden"] = Hidden };
        Seen = (await RunAsync(Worker, File.ReadAllText(Path.Combine(ProbeFolder, "observe.py")), @event)).AsObject();
    }

    public async Task DisposeAsync()
    {
        await Worker.DisposeAsync();
        Listener.Dispose();
        File.Delete(Path.Combine(Path.GetTempPath(), Marker));
        Directory.Delete(Hidden, recursive: true);
    }

    public static async Task<WorkerProcess> StartProbeWorkerAsync(IReadOnlyList<string> hiddenPaths) =>
        await WorkerProcess.StartAsync(
            new WorkerConfig(TestServers.PythonLibrary, [ProbeFolder], [],
                new WorkerLimits(MemoryMb, 120, 64, TempMb, 65536, Nobody, hiddenPaths)),
            TimeSpan.FromSeconds(30), default);

    public static async Task<JsonNode> RunAsync(WorkerProcess worker, string source, JsonObject @event)
    {
        var request = JsonSerializer.Serialize(PoolTests.Request(source, @event) with { TimeoutMs = 20_000 }, JsonSerializerOptions.Web);
        var answer = await worker.RunAsync(request, TimeSpan.FromSeconds(20), default);
        Assert.NotNull(answer.Json);
        var result = JsonNode.Parse(answer.Json)!;
        Assert.True((bool)result["success"]!, (string?)result["message"]);
        return result["result"]!;
    }
}
