using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HoneyHive.Bench.Ui;

/// <summary>The production build of web/ (HH_WEB_SERVER, built by ./hh bench ui) in front of a Host's CP and DP.</summary>
public sealed class UiServer : IAsyncDisposable
{
    private Process? process;

    public Uri Url { get; private set; } = null!;

    public static async Task<UiServer> StartAsync(Uri dataPlane, Uri controlPlane, CancellationToken ct)
    {
        var server = BenchEnvironment.Require("HH_WEB_SERVER");
        var ui = new UiServer();
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            ui.Url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        }
        var start = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(server);
        start.Environment["PORT"] = ui.Url.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["HOSTNAME"] = "127.0.0.1";
        start.Environment["NODE_ENV"] = "production";
        start.Environment["NEXT_TELEMETRY_DISABLED"] = "1";
        start.Environment["HH_DP_URL"] = dataPlane.ToString().TrimEnd('/');
        start.Environment["HH_CP_URL"] = controlPlane.ToString().TrimEnd('/');
        ui.process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        ui.process.OutputDataReceived += (_, _) => { };
        ui.process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("ui: " + e.Data); };
        ui.process.BeginOutputReadLine();
        ui.process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = ui.Url };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200, ct))
        {
            if (ui.process.HasExited) throw new InvalidOperationException($"The UI server exited with {ui.process.ExitCode}.");
            try
            {
                using var response = await client.GetAsync(new Uri("/login", UriKind.Relative), ct);
                if (response.IsSuccessStatusCode) return ui;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
        }
        throw new TimeoutException("The UI server did not answer /login within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process?.Dispose();
    }
}
