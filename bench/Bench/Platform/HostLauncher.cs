using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace HoneyHive.Bench.Platform;

/// <summary>
/// Starts the single-node Host (Release build) as its own process against the servers `./hh bench`
/// started: fresh databases, free loopback ports, a working folder under HH_TEST_DATA.
/// </summary>
public sealed class HostLauncher : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private Process? process;
    private ProcessStartInfo? start;

    public Uri DataPlaneApi { get; private set; } = null!;
    public Uri ControlPlaneApi { get; private set; } = null!;

    /// <summary>The Host's dpdb (the bench reads it in-process, e.g. to time token checks the DP's way).</summary>
    public string DpdbConnectionString { get; private set; } = "";

    /// <summary>The Host's cpdb (bench sync changes it as the CP API would, and runs a CP controller over it).</summary>
    public string CpdbConnectionString { get; private set; } = "";
    public Uri OtlpHttp { get; private set; } = null!;
    public Uri OtlpGrpc { get; private set; } = null!;
    public string ApiKey { get; private set; } = "";

    /// <summary>The bootstrap project: the one <see cref="ApiKey"/> reads and writes.</summary>
    public Guid ProjectId { get; private set; }
    public string WorkingDirectory { get; private set; } = "";
    /// <summary>The Host's pid, or 0 while none runs (stopped, or between a kill and its restart).</summary>
    public int ProcessId
    {
        get
        {
            try { return process?.Id ?? 0; }
            catch (InvalidOperationException) { return 0; } // disposed: the samplers read 0 as "no process"
        }
    }

    /// <param name="prepare">Runs on the new working folder before the Host starts (e.g. mounts a small filesystem for its object store).</param>
    public static async Task<HostLauncher> StartAsync(IReadOnlyDictionary<string, string>? settings, CancellationToken ct, Func<string, Task>? prepare = null)
    {
        var launcher = new HostLauncher();
        await launcher.StartInternalAsync(settings ?? new Dictionary<string, string>(), prepare, ct);
        return launcher;
    }

    /// <summary>The bootstrap result (admin email and password, org, workspace, project, key), readable by the owner only.</summary>
    public string BootstrapPath => Path.Combine(WorkingDirectory, ".data", "bootstrap.json");

    /// <summary>The Host's object store folder (<c>ObjectStore:Path</c>).</summary>
    public string ObjectStorePath => Path.Combine(WorkingDirectory, "objects");

    private async Task StartInternalAsync(IReadOnlyDictionary<string, string> settings, Func<string, Task>? prepare, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        WorkingDirectory = Path.Combine(BenchEnvironment.DataDirectory, "host-" + id);
        Directory.CreateDirectory(WorkingDirectory);
        if (prepare is not null) await prepare(WorkingDirectory);
        DataPlaneApi = new Uri($"http://127.0.0.1:{FreePort()}");
        OtlpHttp = new Uri($"http://127.0.0.1:{FreePort()}");
        OtlpGrpc = new Uri($"http://127.0.0.1:{FreePort()}");
        ControlPlaneApi = new Uri($"http://127.0.0.1:{FreePort()}");
        var controlPlane = ControlPlaneApi.ToString().TrimEnd('/');
        var controller = $"http://127.0.0.1:{FreePort()}";

        var dll = LocateHost();
        start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { dll, "--contentRoot", Path.GetDirectoryName(dll)! },
        };
        var env = start.Environment;
        CpdbConnectionString = await CreateDatabaseAsync("hh_bench_cp_" + id, ct);
        env["ConnectionStrings__cpdb"] = CpdbConnectionString;
        DpdbConnectionString = await CreateDatabaseAsync("hh_bench_dp_" + id, ct);
        env["ConnectionStrings__dpdb"] = DpdbConnectionString;
        env["ConnectionStrings__nats"] = BenchEnvironment.NatsUrl;
        env["ConnectionStrings__redis"] = BenchEnvironment.Require("HH_TEST_REDIS");
        // The Host runs as Production, which requires a master key per plane (provider secrets; CP signing keys).
        env["Secrets__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        env["ControlPlane__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        env["ClickHouse__ChdbLibrary"] = BenchEnvironment.ChdbLibrary;
        env["ClickHouse__DataPath"] = Path.Combine(WorkingDirectory, "clickhouse");
        env["ObjectStore__Path"] = ObjectStorePath;
        env["Kestrel__Endpoints__DataPlaneApi__Url"] = DataPlaneApi.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__ControlPlaneApi__Url"] = controlPlane;
        env["Kestrel__Endpoints__OtlpHttp__Url"] = OtlpHttp.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__OtlpGrpc__Url"] = OtlpGrpc.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__ControllerGrpc__Url"] = controller;
        env["Kestrel__Endpoints__WorkflowGrpc__Url"] = $"http://127.0.0.1:{FreePort()}";
        env["Controller__ControlPlaneUrl"] = controller;
        env["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings) env[key] = value;
        await LaunchAsync(ct);
        using var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(BootstrapPath, ct));
        ApiKey = bootstrap.RootElement.GetProperty("api_key").GetString()!;
        ProjectId = bootstrap.RootElement.GetProperty("project_id").GetGuid();
    }

    /// <summary>
    /// SIGKILL, no shutdown at all (the chaos fault), then the same Host again: same databases, data
    /// folders, ports and settings. Returns once /health answers.
    /// </summary>
    public async Task KillAndRestartAsync(CancellationToken ct)
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync(ct);
        }
        process?.Dispose();
        process = null;
        lock (output) output.AppendLine("--- killed with SIGKILL; restarting ---");
        await LaunchAsync(ct);
    }

    /// <summary>Stops the Host as <see cref="DisposeAsync"/> does (SIGTERM, wait), keeping its folders and databases.</summary>
    public async Task StopAsync()
    {
        await StopProcessAsync();
        lock (output) output.AppendLine("--- stopped; folders and databases kept ---");
    }

    /// <summary>Starts the same Host again after <see cref="StopAsync"/>; returns once /health answers.</summary>
    public Task StartAgainAsync(CancellationToken ct) => LaunchAsync(ct);

    private async Task LaunchAsync(CancellationToken ct)
    {
        process = Process.Start(start!) ?? throw new InvalidOperationException("Could not start the Host.");
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = DataPlaneApi };
        // HH_HEALTH_TIMEOUT (seconds, as for ./hh up): a heavily shared machine can need more than the default.
        var deadline = DateTime.UtcNow.AddSeconds(int.TryParse(Environment.GetEnvironmentVariable("HH_HEALTH_TIMEOUT"), out var seconds) && seconds > 0 ? seconds : 120);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The Host exited:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), ct);
                if (response.StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The Host did not become healthy:\n{Output}");
            await Task.Delay(250, ct);
        }
    }

    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>Resident memory of the Host process in MB (from /proc), for reports.</summary>
    public double ResidentMegabytes()
    {
        if (process is null || process.HasExited) return 0;
        process.Refresh();
        return process.WorkingSet64 / 1e6;
    }

    public TimeSpan CpuTime()
    {
        if (process is null || process.HasExited) return TimeSpan.Zero;
        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>Stops the Host and keeps what it printed in <c>host.log</c> of its working folder, for reading a run afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        await File.WriteAllTextAsync(Path.Combine(WorkingDirectory, "host.log"), Output);
    }

    private async Task StopProcessAsync()
    {
        if (process is { HasExited: false })
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
        }
        process?.Dispose();
        process = null;
    }

    private static async Task<string> CreateDatabaseAsync(string name, CancellationToken ct)
    {
        var admin = BenchEnvironment.Require("HH_TEST_PG");
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(ct);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync(ct);
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static string LocateHost()
    {
        // A copy of another build, for before/after runs alternated in the same conditions.
        if (Environment.GetEnvironmentVariable("HH_BENCH_HOST_DLL") is { Length: > 0 } chosen) return chosen;
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))
            ?? throw new InvalidOperationException("HoneyHive.sln not found above the bench.");
        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var dll = Path.Combine(repo, "services", "Host", "bin", configuration, "net10.0", "HoneyHive.Host.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new InvalidOperationException("services/Host is not built; run `dotnet build -c Release services/Host`.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
