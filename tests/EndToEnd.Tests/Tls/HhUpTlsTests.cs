using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HoneyHive.ServiceDefaults.Tls;
using NATS.Client.Core;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests.Tls;

/// <summary>
/// The real `./hh up -d` with HH_TLS_CERT, HH_TLS_KEY and HH_TLS_CA set (a certificate from a CA made here), in a data
/// folder of its own (HH_DATA) and on free ports, so it never meets the machine's own instance. Stopped with `./hh down`.
/// </summary>
public sealed class HhUpWithTls : IAsyncLifetime
{
    // Under the 15-minute hang limit of ./hh test, so a slow start fails with ./hh's own output.
    private static readonly TimeSpan UpLimit = TimeSpan.FromMinutes(12);
    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal);

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("hh-up-ca");

    public string Data { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("HH_TEST_DATA") is { Length: > 0 } data
            ? data
            : throw new InvalidOperationException("HH_TEST_DATA is not set: run the tests with ./hh test."),
        "hh-up-tls-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly string[] PortVariables =
    [
        "HH_NATS_PORT", "HH_NATS_MONITOR_PORT", "HH_REDIS_PORT", "HH_PG_PORT", "HH_DP_API_PORT", "HH_CP_API_PORT",
        "HH_OTLP_GRPC_PORT", "HH_OTLP_HTTP_PORT", "HH_CONTROLLER_PORT", "HH_WORKFLOW_GRPC_PORT", "HH_WEB_PORT",
    ];

    public IReadOnlyDictionary<string, int> Ports { get; private set; } = new Dictionary<string, int>();

    public string UpOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var (certificate, key) = Ca.IssueServer();
        environment["HH_DATA"] = Data;
        environment["HH_TLS_CERT"] = certificate;
        environment["HH_TLS_KEY"] = key;
        environment["HH_TLS_CA"] = Ca.CaPath;
        // Free ports are picked ahead and other tests pick theirs meanwhile: ./hh up checks every port before it starts
        // anything, so a port taken in between is answered by picking again.
        for (var attempt = 1; ; attempt++)
        {
            Ports = PortVariables.ToDictionary(name => name, _ => FreePort(), StringComparer.Ordinal);
            foreach (var (name, port) in Ports) environment[name] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (code, output) = await RunHhAsync(UpLimit, "up", "-d");
            UpOutput = output;
            if (code == 0) return;
            if (attempt < 3 && output.Contains("is already in use by another process", StringComparison.Ordinal)) continue;
            throw new InvalidOperationException($"./hh up -d exited with {code}:\n{output}\n{LogTails()}");
        }
    }

    public async Task DisposeAsync()
    {
        await RunHhAsync(TimeSpan.FromMinutes(2), "down");
        Ca.Dispose();
    }

    public Uri Url(string portVariable, string path = "/") => new($"https://127.0.0.1:{Ports[portVariable]}{path}");

    /// <summary>A client that trusts only the CA made here.</summary>
    public HttpClient TlsClient() => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = TlsSettings.TrustOnly(TlsSettings.LoadBundle(Ca.CaPath)) },
    }) { Timeout = TimeSpan.FromSeconds(30) };

    public JsonElement Bootstrap() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "bootstrap.json"))).RootElement;

    /// <summary>A value of the instance's .data/secrets.env (the database passwords live there).</summary>
    public string Secret(string name) => File.ReadLines(Path.Combine(Data, "secrets.env"))
        .Select(line => line.Split('=', 2))
        .Single(pair => pair[0] == name)[1];

    public Task<(int Code, string Output)> RunHhAsync(TimeSpan limit, params string[] arguments) => RunHhAsync(limit, withTlsVariables: true, arguments);

    /// <param name="withTlsVariables">False runs it as a user would later, with the ports and data folder only.</param>
    public async Task<(int Code, string Output)> RunHhAsync(TimeSpan limit, bool withTlsVariables, string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "hh"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
        {
            if (withTlsVariables || !name.StartsWith("HH_TLS_", StringComparison.Ordinal)) start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start ./hh.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"./hh {string.Join(' ', arguments)} did not finish within {limit}:\n{output}");
        }
        lock (output) return (process.ExitCode, output.ToString());
    }

    public string LogTails()
    {
        var logs = Path.Combine(Data, "logs");
        if (!Directory.Exists(logs)) return "(no logs folder)";
        return string.Join('\n', Directory.GetFiles(logs, "*.log").Select(file =>
        {
            try
            {
                return $"--- {Path.GetFileName(file)}\n{string.Join('\n', File.ReadLines(file).TakeLast(30))}";
            }
            catch (IOException ex)
            {
                return $"--- {Path.GetFileName(file)}: {ex.Message}";
            }
        }));
    }

    private static string RepositoryRoot()
    {
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))
            ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        return repo;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class HhUpTlsTests(HhUpWithTls up) : IClassFixture<HhUpWithTls>
{
    [Fact]
    public async Task Every_http_listener_including_the_web_ui_and_nats_monitoring_refuses_plaintext_and_answers_over_tls()
    {
        var listeners = new[]
        {
            ("HH_DP_API_PORT", "/health"), ("HH_CP_API_PORT", "/health"), ("HH_OTLP_HTTP_PORT", "/health"),
            ("HH_WEB_PORT", "/login"), ("HH_NATS_MONITOR_PORT", "/healthz"),
        };
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var tls = up.TlsClient();
        foreach (var (port, path) in listeners)
        {
            var secure = up.Url(port, path);
            Assert.Null(await ServedInPlaintextAsync(plain, new UriBuilder(secure) { Scheme = "http" }.Uri));
            using var answer = await tls.GetAsync(secure);
            Assert.True(answer.IsSuccessStatusCode, $"{port} {path}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task The_web_ui_over_tls_asks_browsers_to_stay_on_https()
    {
        using var tls = up.TlsClient();
        using var login = await tls.GetAsync(up.Url("HH_WEB_PORT", "/login"));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.True(login.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "no Strict-Transport-Security header");
        Assert.Contains("max-age=", Assert.Single(hsts), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_refuses_a_plaintext_command_and_answers_one_over_tls()
    {
        var port = up.Ports["HH_REDIS_PORT"];
        using (var plain = new TcpClient())
        {
            await plain.ConnectAsync(IPAddress.Loopback, port);
            var stream = plain.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            Assert.DoesNotContain("PONG", await ReadSomeAsync(stream), StringComparison.Ordinal);
        }

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(client.GetStream(), false, TlsSettings.TrustOnly(TlsSettings.LoadBundle(up.Ca.CaPath)));
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        await tls.WriteAsync("PING\r\n"u8.ToArray());
        Assert.StartsWith("+PONG", await ReadSomeAsync(tls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgresql_refuses_a_connection_without_tls_by_its_hba_rule_and_verifies_over_tls()
    {
        var port = up.Ports["HH_PG_PORT"];
        var password = up.Secret("HH_CP_DB_PASSWORD");
        var plain = $"Host=127.0.0.1;Port={port};Username=cp;Password={password};Database=cpdb;SSL Mode=Disable;Pooling=false";
        await using (var refused = new NpgsqlConnection(plain))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
            Assert.Equal("28000", error.SqlState);
            Assert.Contains("no encryption", error.MessageText, StringComparison.Ordinal);
        }

        var verified = $"Host=127.0.0.1;Port={port};Username=cp;Password={password};Database=cpdb;SSL Mode=VerifyFull;Root Certificate={up.Ca.CaPath};Pooling=false";
        await using var connection = new NpgsqlConnection(verified);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        Assert.True((bool)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Nats_refuses_a_plaintext_client_and_takes_one_that_trusts_the_ca()
    {
        var port = up.Ports["HH_NATS_PORT"];
        await using (var plain = new NatsConnection(new NatsOpts
        {
            Url = $"nats://127.0.0.1:{port}",
            TlsOpts = new NatsTlsOpts { Mode = TlsMode.Disable },
            MaxReconnectRetry = 0,
        }))
        {
            await Assert.ThrowsAnyAsync<NatsException>(async () => await plain.ConnectAsync());
        }

        await using var tls = new NatsConnection(new NatsOpts
        {
            Url = $"tls://127.0.0.1:{port}",
            TlsOpts = new NatsTlsOpts { Mode = TlsMode.Require, CaFile = up.Ca.CaPath },
        });
        await tls.ConnectAsync();
        Assert.Equal(NatsConnectionState.Open, tls.ConnectionState);
    }

    [Fact]
    public async Task The_host_reaches_every_server_over_tls_so_an_event_sent_is_stored_and_read_back()
    {
        using var tls = up.TlsClient();
        using (var health = await tls.GetAsync(up.Url("HH_DP_API_PORT", "/health")))
        {
            var checks = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
            foreach (var name in new[] { "cpdb", "dpdb", "nats", "redis" })
                Assert.Equal("Healthy", checks.GetProperty(name).GetProperty("status").GetString());
        }

        tls.DefaultRequestHeaders.Authorization = new("Bearer", up.Bootstrap().GetProperty("api_key").GetString());
        var marker = Guid.NewGuid().ToString();
        using (var sent = await tls.PostAsJsonAsync(up.Url("HH_DP_API_PORT", "/v1/events/batch"), new
        {
            events = new[] { new { event_type = "tool", event_name = "over tls", inputs = new { q = "q" }, metadata = new { marker } } },
        }))
        {
            Assert.True(sent.IsSuccessStatusCode, $"{(int)sent.StatusCode}: {await sent.Content.ReadAsStringAsync()}");
        }
        var found = await Eventually.ValueAsync(async () =>
        {
            using var search = await tls.PostAsJsonAsync(up.Url("HH_DP_API_PORT", "/v1/events/search"), new
            {
                filters = new[] { new { field = "metadata.marker", @operator = "is", value = marker, type = "string" } },
                limit = 10,
            });
            if (!search.IsSuccessStatusCode) return -(int)search.StatusCode;
            return JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement.GetProperty("events").GetArrayLength();
        }, n => n == 1, "the event sent over TLS to be stored (NATS, the Writer) and read back", TimeSpan.FromSeconds(90));
        Assert.Equal(1, found);
    }

    [Fact]
    public async Task Hh_status_run_without_the_tls_variables_reads_the_running_platform_over_tls()
    {
        var (code, output) = await up.RunHhAsync(TimeSpan.FromMinutes(1), withTlsVariables: false, ["status"]);
        Assert.True(code == 0, output);
        Assert.Contains($"https://127.0.0.1:{up.Ports["HH_WEB_PORT"]}", output, StringComparison.Ordinal);
        Assert.Contains("healthy (200)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("unhealthy", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// What a plaintext request got when it was served (null when refused). Kestrel and Node close the connection; Go's
    /// TLS listener (NATS monitoring) answers 400 "Client sent an HTTP request to an HTTPS server".
    /// </summary>
    private static async Task<string?> ServedInPlaintextAsync(HttpClient plain, Uri url)
    {
        try
        {
            using var answer = await plain.GetAsync(url);
            return answer.IsSuccessStatusCode ? $"{url}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}" : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<string> ReadSomeAsync(Stream stream)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            return "";
        }
    }
}
