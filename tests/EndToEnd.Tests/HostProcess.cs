using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// The single-node Host as a real process against the servers `./hh test` started: its own
/// databases, free loopback ports, and a working folder of its own (where .data/ lands).
/// </summary>
public class HostProcess : IAsyncLifetime
{
    private readonly string id = Guid.NewGuid().ToString("N")[..12];
    private readonly StringBuilder output = new();
    private Process? process;

    // Generated once per Host, not per start: a restarted Host keeps its keys (as ./hh keeps them in its secrets file),
    // or whatever it sealed before (webhook secrets, provider keys, signing keys) would no longer open.
    private readonly string dataPlaneMasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly string controlPlaneMasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public string WorkingDirectory { get; private set; } = "";
    public Uri DataPlaneApi { get; private set; } = null!;
    public Uri ControlPlaneApi { get; private set; } = null!;
    public Uri OtlpHttp { get; private set; } = null!;
    public Uri OtlpGrpc { get; private set; } = null!;
    public string CpdbConnectionString { get; private set; } = "";
    public string DpdbConnectionString { get; private set; } = "";

    public string BootstrapPath => Path.Combine(WorkingDirectory, ".data", "bootstrap.json");

    /// <summary>The NATS server the Host uses; the shared test server unless a test brings its own.</summary>
    public string NatsUrl { get; protected set; } = Require("HH_TEST_NATS_URL");

    /// <summary>Configuration a fixture adds for its Host (environment variables, e.g. Ingestion__Limits__...).</summary>
    protected Dictionary<string, string> ExtraEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The scheme of the Host's listeners as clients reach them (https when a fixture configures TLS).</summary>
    protected virtual string Scheme => "http";

    /// <summary>The handler of <see cref="Client"/>: a TLS fixture's trusts its own CA.</summary>
    public virtual HttpMessageHandler CreateHandler() => new HttpClientHandler();

    public string ApiKey => ReadBootstrap().GetProperty("api_key").GetString()!;

    public string ProjectId => ReadBootstrap().GetProperty("project_id").GetString()!;

    /// <summary>This Host's durable Writer consumer on the shared NATS server.</summary>
    public string WriterConsumer => $"cp-writer-e2e-{id}";

    public virtual async Task InitializeAsync()
    {
        WorkingDirectory = Path.Combine(Require("HH_TEST_DATA"), "e2e-" + id);
        Directory.CreateDirectory(WorkingDirectory);
        CpdbConnectionString = await CreateDatabaseAsync("hh_e2e_cp_" + id);
        DpdbConnectionString = await CreateDatabaseAsync("hh_e2e_dp_" + id);
        for (var attempt = 1; ; attempt++)
        {
            DataPlaneApi = new Uri($"{Scheme}://127.0.0.1:{FreePort()}");
            ControlPlaneApi = new Uri($"{Scheme}://127.0.0.1:{FreePort()}");
            OtlpHttp = new Uri($"{Scheme}://127.0.0.1:{FreePort()}");
            OtlpGrpc = new Uri($"{Scheme}://127.0.0.1:{FreePort()}");
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && process is { HasExited: true } && Output.Contains("address already in use", StringComparison.Ordinal))
            {
                // A free port is free only when it is probed: any process's outgoing connection may take it from the
                // same ephemeral range before the Host binds it. Not the Host's fault; start again on other ports.
                lock (output) output.AppendLine($"--- a port was taken before the Host bound it; starting again (attempt {attempt + 1}) ---");
            }
        }
    }

    public async Task StartAsync()
    {
        var hostDll = LocateHost();
        var controllerGrpc = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(Path.GetDirectoryName(hostDll)!);
        var env = start.Environment;
        env["ConnectionStrings__cpdb"] = CpdbConnectionString;
        env["ConnectionStrings__dpdb"] = DpdbConnectionString;
        env["ConnectionStrings__nats"] = NatsUrl;
        env["ConnectionStrings__redis"] = Require("HH_TEST_REDIS");
        env["ClickHouse__ChdbLibrary"] = Require("HH_CHDB_LIB");
        env["ClickHouse__DataPath"] = Path.Combine(WorkingDirectory, ".data", "clickhouse");
        env["ObjectStore__Path"] = Path.Combine(WorkingDirectory, ".data", "objects");
        env["State__KeyPrefix"] = $"hh-e2e-{id}:";
        // Several Hosts share one NATS server here; each has its own chDB, so each needs its own cursor.
        env["Writer__ConsumerName"] = WriterConsumer;
        env["Writer__StartWithNewMessages"] = "true";
        // Online evaluation reads this Host's dpdb: its consumers must not share tasks with other Hosts on the server.
        env["Evaluation__Online__DispatcherConsumer"] = $"evaluation-dispatcher-e2e-{id}";
        env["Evaluation__Online__WorkerConsumer"] = $"evaluation-worker-e2e-{id}";
        // The notification service reads this Host's cpdb: its consumers are its own, and skip the other Hosts' history.
        env["Notification__AlertConsumer"] = $"notification-alerts-e2e-{id}";
        env["Notification__EmailConsumer"] = $"notification-emails-e2e-{id}";
        env["Notification__StartWithNewMessages"] = "true";
        // The alert engine judges this Host's alerts: its per-event consumer is its own too. Scheduled alerts every second.
        env["Alerts__PerEventConsumer"] = $"alert-per-event-e2e-{id}";
        env["Alerts__EvaluationInterval"] = "00:00:01";
        env["Kestrel__Endpoints__DataPlaneApi__Url"] = DataPlaneApi.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__ControlPlaneApi__Url"] = ControlPlaneApi.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__OtlpHttp__Url"] = OtlpHttp.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__OtlpGrpc__Url"] = OtlpGrpc.ToString().TrimEnd('/');
        env["Kestrel__Endpoints__ControllerGrpc__Url"] = controllerGrpc;
        // The embedded workflow backend's port: several Hosts run at once here.
        env["Kestrel__Endpoints__WorkflowGrpc__Url"] = $"http://127.0.0.1:{FreePort()}";
        env["Controller__ControlPlaneUrl"] = controllerGrpc;
        env["Controller__Sync__Interval"] = "00:00:00.500";
        // The Host runs as Production, which requires a master key per plane (provider secrets; CP signing keys).
        env["Secrets__MasterKey"] = dataPlaneMasterKey;
        env["ControlPlane__MasterKey"] = controlPlaneMasterKey;
        foreach (var (key, value) in ExtraEnvironment) env[key] = value;

        process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Host process.");
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitHealthyAsync(DataPlaneApi);
        await WaitHealthyAsync(ControlPlaneApi);
    }

    public async Task StopAsync()
    {
        if (process is null || process.HasExited) return;
        // SIGTERM lets the host close chDB and flush; a kill would skip that.
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        process.Dispose();
        process = null;
    }

    /// <summary>Kills the Host with SIGKILL (no shutdown, no flush, no ack): a crash at the moment the test chooses.</summary>
    public async Task KillAsync()
    {
        if (process is null || process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    /// <summary>Waits for the process to end by itself (a crash the test provoked): its exit code, or null if it still runs at the timeout.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        if (process is null) throw new InvalidOperationException("The Host was not started.");
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public virtual async Task DisposeAsync()
    {
        try { await StopAsync(); }
        catch (OperationCanceledException) { process?.Kill(entireProcessTree: true); }
    }

    public string Output { get { lock (output) return output.ToString(); } }

    public JsonElement ReadBootstrap() => JsonDocument.Parse(File.ReadAllText(BootstrapPath)).RootElement.Clone();

    /// <param name="retryBackpressure">
    /// Send again what the ingestion back-pressure refused, as clients do (<see cref="BackpressureRetryHandler"/>); false
    /// for the tests of the back-pressure itself.
    /// </param>
    public HttpClient Client(Uri baseAddress, string? apiKey = null, bool retryBackpressure = true)
    {
        var handler = retryBackpressure ? new BackpressureRetryHandler(CreateHandler(), TimeSpan.FromSeconds(60)) : CreateHandler();
        // The timeout bounds the whole send, retries included.
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(retryBackpressure ? 100 : 30) };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    public async Task WaitHealthyAsync(Uri baseAddress)
    {
        using var client = Client(baseAddress);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (process!.HasExited) throw new InvalidOperationException($"The Host exited with {process.ExitCode}:\n{Output}");
            try
            {
                using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{baseAddress}health did not answer 200 within 120 s (last: {last}).\n{Output}");
    }

    private static async Task<string> CreateDatabaseAsync(string name)
    {
        var admin = Require("HH_TEST_PG");
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static string LocateHost()
    {
        var configuration = typeof(HostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))
            ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        var dll = Path.Combine(repo, "services", "Host", "bin", configuration, "net10.0", "HoneyHive.Host.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build the solution first.");
    }

    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with ./hh test, which starts the servers they need.");
}
