using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// A nats-server of our own (JetStream, file store under HH_TEST_DATA) for the one test that must
/// stop and restart the server; the shared server of the other tests is never touched. The binary
/// is HH_NATS_SERVER when set, else <c>nats-server</c> on PATH; without either the test fails.
/// </summary>
public sealed class PrivateNatsServer : IAsyncDisposable
{
    private readonly string binary;
    private readonly string storeDirectory;
    private Process? process;

    private PrivateNatsServer(string binary, int port, string storeDirectory)
    {
        this.binary = binary;
        Port = port;
        this.storeDirectory = storeDirectory;
    }

    public int Port { get; }

    /// <summary>The folder JetStream stores its files in.</summary>
    public string StoreDirectory => storeDirectory;

    /// <summary>
    /// The JetStream file-store key (<c>cipher: chachapoly</c>), passed as <c>./hh</c> passes it: from the environment
    /// through the config file. Null: no encryption. Takes effect at the next start.
    /// </summary>
    public string? JetStreamKey { get; set; }

    /// <summary>PEM certificate and key for a <c>tls {}</c> block as ./hh writes it (clients must then use TLS). Next start.</summary>
    public (string CertificatePath, string KeyPath)? Tls { get; set; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static async Task<PrivateNatsServer> StartAsync(string? jetStreamKey = null, (string CertificatePath, string KeyPath)? tls = null)
    {
        var binary = Environment.GetEnvironmentVariable("HH_NATS_SERVER") is { Length: > 0 } configured
            ? configured
            : FindOnPath("nats-server")
              ?? throw new InvalidOperationException("No nats-server: set HH_NATS_SERVER or put nats-server on PATH.");
        var store = Path.Combine(TestServers.DataDirectory, $"nats-restart-{Guid.NewGuid():N}");
        Directory.CreateDirectory(store);
        var server = new PrivateNatsServer(binary, FreePort(), store) { JetStreamKey = jetStreamKey, Tls = tls };
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kill the server (no graceful shutdown) and start it again on the same port and store.</summary>
    public async Task RestartAsync()
    {
        await StopProcessAsync();
        await StartProcessAsync();
    }

    /// <summary>Kill the server and leave it down (an outage).</summary>
    public Task StopAsync() => StopProcessAsync();

    /// <summary>Start it again on the same port and store after <see cref="StopAsync"/>.</summary>
    public Task StartAgainAsync() => StartProcessAsync();

    /// <summary>What the server printed since it last started.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        Directory.Delete(storeDirectory, recursive: true);
        File.Delete(Path.Combine(storeDirectory, "..", $"{Path.GetFileName(storeDirectory)}.conf"));
    }

    private async Task StartProcessAsync()
    {
        var config = Path.Combine(storeDirectory, "..", $"{Path.GetFileName(storeDirectory)}.conf");
        await File.WriteAllTextAsync(config, $$"""
            listen: 127.0.0.1:{{Port}}
            jetstream {
              store_dir: "{{storeDirectory}}"
              {{(JetStreamKey is null ? "" : "cipher: chachapoly\n  key: $HH_NATS_JS_KEY")}}
            }
            {{(Tls is { } tls ? $"tls {{\n  cert_file: \"{tls.CertificatePath}\"\n  key_file: \"{tls.KeyPath}\"\n}}" : "")}}
            """);
        var info = new ProcessStartInfo(binary)
        {
            ArgumentList = { "-c", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Quoted, as ./hh passes it: nats-server parses the value as config, and a hex key such as "78e25…" reads as a number.
        if (JetStreamKey is not null) info.Environment["HH_NATS_JS_KEY"] = $"\"{JetStreamKey}\"";
        Log.Clear();
        process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {binary}.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(Accepts, $"nats-server to listen on {Port}");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}; nats-server said:\n{string.Join('\n', Log.TakeLast(20))}", e);
        }
    }

    private async Task StopProcessAsync()
    {
        if (process is null) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    private bool Accepts()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
